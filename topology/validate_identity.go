package topology

import (
	"bytes"
	"strings"

	pb "github.com/cometsync/cometsync/proto/topologypb"
)

func validateNamespaceDelegation(d *pb.NamespaceDelegation) error {
	if err := validateFingerprint("namespace_delegation.namespace", d.Namespace); err != nil {
		return err
	}
	if err := validateSigningKey("namespace_delegation.target_key", d.TargetKey); err != nil {
		return err
	}
	return validateRestriction(d.Restriction)
}

func validateRestriction(r *pb.DelegationRestriction) error {
	const field = "namespace_delegation.restriction"
	switch r.GetKind() {
	case pb.RestrictionKind_RESTRICTION_KIND_ALL, pb.RestrictionKind_RESTRICTION_KIND_ALL_BUT_NAMESPACE_DELEGATIONS:
		if len(r.Mappings) != 0 {
			return invalid(field+".mappings", "only allowed with RESTRICTION_KIND_SPECIFIC")
		}
		return nil
	case pb.RestrictionKind_RESTRICTION_KIND_SPECIFIC:
		if err := validateListLength(field+".mappings", len(r.Mappings), false); err != nil {
			return err
		}
		for i, c := range r.Mappings {
			if !validCode(c) {
				return invalid(fieldAt(field+".mappings", i), "unknown mapping code %d", int32(c))
			}
		}
		return sortDistinct(field+".mappings", r.Mappings, func(a, b pb.MappingCode) int { return int(a) - int(b) })
	}
	return invalid(field+".kind", "unknown restriction %d", int32(r.GetKind()))
}

func validateIdentifierDelegation(d *pb.IdentifierDelegation) error {
	if _, err := validateUID("identifier_delegation.uid", d.Uid); err != nil {
		return err
	}
	return validateSigningKey("identifier_delegation.target_key", d.TargetKey)
}

func validateDecentralizedNamespace(d *pb.DecentralizedNamespaceDefinition) error {
	const field = "decentralized_namespace_definition"
	if err := validateFingerprint(field+".namespace", d.Namespace); err != nil {
		return err
	}
	if err := validateListLength(field+".owners", len(d.Owners), false); err != nil {
		return err
	}
	for i, o := range d.Owners {
		if err := validateFingerprint(fieldAt(field+".owners", i), o); err != nil {
			return err
		}
		if o == d.Namespace {
			return invalid(fieldAt(field+".owners", i), "a namespace cannot own itself")
		}
	}
	if err := sortDistinctStrings(field+".owners", d.Owners); err != nil {
		return err
	}
	return validateThreshold(field+".threshold", d.Threshold, len(d.Owners))
}

func validateOwnerToKey(m *pb.OwnerToKeyMapping) error {
	const field = "owner_to_key_mapping"
	if _, err := validateMember(field+".member", m.Member, ""); err != nil {
		return err
	}
	if err := validateListLength(field+".signing_keys", len(m.SigningKeys), false); err != nil {
		return err
	}
	for i, k := range m.SigningKeys {
		if err := validateSigningKey(fieldAt(field+".signing_keys", i), k); err != nil {
			return err
		}
	}
	if err := sortDistinct(field+".signing_keys", m.SigningKeys, bytes.Compare); err != nil {
		return err
	}
	return validateEncryptionKeys(field+".encryption_keys", m.EncryptionKeys)
}

func validateEncryptionKeys(field string, ks []*pb.EncryptionKey) error {
	if err := validateListLength(field, len(ks), true); err != nil {
		return err
	}
	for i, k := range ks {
		if k == nil || k.Scheme == "" || len(k.Key) == 0 {
			return invalid(fieldAt(field, i), "needs a scheme and key bytes")
		}
	}
	return sortDistinct(field, ks, func(a, b *pb.EncryptionKey) int {
		if c := strings.Compare(a.Scheme, b.Scheme); c != 0 {
			return c
		}
		return bytes.Compare(a.Key, b.Key)
	})
}
