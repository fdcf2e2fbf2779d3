package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

// mappingNames are the CLI names of the mapping kinds, in code order.
var mappingNames = []struct {
	code pb.MappingCode
	name string
}{
	{pb.MappingCode_MAPPING_CODE_NAMESPACE_DELEGATION, "namespace-delegation"},
	{pb.MappingCode_MAPPING_CODE_IDENTIFIER_DELEGATION, "identifier-delegation"},
	{pb.MappingCode_MAPPING_CODE_DECENTRALIZED_NAMESPACE_DEFINITION, "decentralized-namespace"},
	{pb.MappingCode_MAPPING_CODE_OWNER_TO_KEY_MAPPING, "owner-to-key-mapping"},
	{pb.MappingCode_MAPPING_CODE_PARTY_TO_PARTICIPANT, "party-to-participant"},
	{pb.MappingCode_MAPPING_CODE_SYNCHRONIZER_PARAMETERS_STATE, "synchronizer-parameters"},
	{pb.MappingCode_MAPPING_CODE_MEDIATOR_SYNCHRONIZER_STATE, "mediator-synchronizer-state"},
	{pb.MappingCode_MAPPING_CODE_SEQUENCER_SYNCHRONIZER_STATE, "sequencer-synchronizer-state"},
	{pb.MappingCode_MAPPING_CODE_PARTICIPANT_SYNCHRONIZER_PERMISSION, "participant-permission"},
	{pb.MappingCode_MAPPING_CODE_VETTED_PACKAGES, "vetted-packages"},
}

func mappingName(c pb.MappingCode) string {
	for _, m := range mappingNames {
		if m.code == c {
			return m.name
		}
	}
	return c.String()
}

func parseMappingName(s string) (pb.MappingCode, error) {
	var names []string
	for _, m := range mappingNames {
		if m.name == s {
			return m.code, nil
		}
		names = append(names, m.name)
	}
	return 0, fmt.Errorf("unknown mapping %q (known: %s)", s, strings.Join(names, ", "))
}

var permissionNames = map[string]pb.ParticipantPermission{
	"submission":   pb.ParticipantPermission_PARTICIPANT_PERMISSION_SUBMISSION,
	"confirmation": pb.ParticipantPermission_PARTICIPANT_PERMISSION_CONFIRMATION,
	"observation":  pb.ParticipantPermission_PARTICIPANT_PERMISSION_OBSERVATION,
}

func parsePermission(s string) (pb.ParticipantPermission, error) {
	if p, ok := permissionNames[s]; ok {
		return p, nil
	}
	return 0, fmt.Errorf("permission %q: want submission, confirmation or observation", s)
}

func permissionName(p pb.ParticipantPermission) string {
	for n, x := range permissionNames {
		if x == p {
			return n
		}
	}
	return p.String()
}

func operationName(op pb.Operation) string {
	if op == pb.Operation_OPERATION_REMOVE {
		return "remove"
	}
	return "replace"
}

// describe is a one-line description of a transaction: operation, mapping, serial and
// the mapping's content.
func describe(tx *topology.Transaction) string {
	return fmt.Sprintf("%s %s serial %d: %s", operationName(tx.Operation()), mappingName(tx.Code()), tx.Serial(), summarize(tx.Mapping()))
}

// summarize renders a mapping's content.
func summarize(m *pb.TopologyMapping) string {
	switch x := m.GetMapping().(type) {
	case *pb.TopologyMapping_NamespaceDelegation:
		d := x.NamespaceDelegation
		target := crypto.FingerprintOf(d.TargetKey)
		if string(target) == d.Namespace {
			return "root certificate of " + d.Namespace
		}
		return fmt.Sprintf("namespace %s -> key %s (%s)", d.Namespace, target, restrictionText(d.Restriction))
	case *pb.TopologyMapping_IdentifierDelegation:
		return fmt.Sprintf("uid %s -> key %s", x.IdentifierDelegation.Uid, crypto.FingerprintOf(x.IdentifierDelegation.TargetKey))
	case *pb.TopologyMapping_DecentralizedNamespaceDefinition:
		d := x.DecentralizedNamespaceDefinition
		return fmt.Sprintf("namespace %s threshold %d owners %s", d.Namespace, d.Threshold, strings.Join(d.Owners, ","))
	case *pb.TopologyMapping_OwnerToKeyMapping:
		return ownerToKeyText(x.OwnerToKeyMapping)
	case *pb.TopologyMapping_PartyToParticipant:
		return partyText(x.PartyToParticipant)
	case *pb.TopologyMapping_SynchronizerParametersState:
		return fmt.Sprintf("synchronizer %s %s", x.SynchronizerParametersState.SynchronizerId, parametersText(x.SynchronizerParametersState.Parameters))
	case *pb.TopologyMapping_MediatorSynchronizerState:
		s := x.MediatorSynchronizerState
		return fmt.Sprintf("synchronizer %s mediator group %d threshold %d active %s observers %s", s.SynchronizerId, s.Group, s.Threshold, strings.Join(s.Active, ","), strings.Join(s.Observers, ","))
	case *pb.TopologyMapping_SequencerSynchronizerState:
		s := x.SequencerSynchronizerState
		return fmt.Sprintf("synchronizer %s sequencers threshold %d active %s", s.SynchronizerId, s.Threshold, strings.Join(s.Active, ","))
	case *pb.TopologyMapping_ParticipantSynchronizerPermission:
		p := x.ParticipantSynchronizerPermission
		return fmt.Sprintf("synchronizer %s participant %s %s", p.SynchronizerId, p.Participant, permissionName(p.Permission))
	case *pb.TopologyMapping_VettedPackages:
		return fmt.Sprintf("participant %s packages %s", x.VettedPackages.Participant, strings.Join(x.VettedPackages.PackageIds, ","))
	case *pb.TopologyMapping_MemberTrafficLimit:
		l := x.MemberTrafficLimit
		text := fmt.Sprintf("synchronizer %s member %s extra traffic limit %d bytes", l.SynchronizerId, l.Member, l.ExtraTrafficLimit)
		if l.BaseRate != nil {
			text += fmt.Sprintf(" base rate %d bytes/s", l.BaseRate.BytesPerSecond)
		}
		return text
	}
	return "empty mapping"
}

func restrictionText(r *pb.DelegationRestriction) string {
	switch r.GetKind() {
	case pb.RestrictionKind_RESTRICTION_KIND_ALL:
		return "all mappings"
	case pb.RestrictionKind_RESTRICTION_KIND_ALL_BUT_NAMESPACE_DELEGATIONS:
		return "all but namespace delegations"
	}
	var names []string
	for _, c := range r.GetMappings() {
		names = append(names, mappingName(c))
	}
	return "only " + strings.Join(names, ",")
}

func ownerToKeyText(o *pb.OwnerToKeyMapping) string {
	var sig, enc []string
	for _, k := range o.SigningKeys {
		sig = append(sig, string(crypto.FingerprintOf(k)))
	}
	for _, k := range o.EncryptionKeys {
		// The fingerprint the key store shows (keys list): over the scheme and the key.
		pub := crypto.EncryptionPublicKey{Scheme: crypto.EncryptionScheme(k.Scheme), Key: k.Key}
		enc = append(enc, string(pub.Fingerprint())+"("+k.Scheme+")")
	}
	return fmt.Sprintf("member %s signing keys %s encryption keys %s", o.Member, strings.Join(sig, ","), strings.Join(enc, ","))
}

func partyText(p *pb.PartyToParticipant) string {
	var hosts []string
	for _, h := range p.Participants {
		hosts = append(hosts, h.Participant+"("+permissionName(h.Permission)+")")
	}
	return fmt.Sprintf("party %s threshold %d participants %s", p.Party, p.Threshold, strings.Join(hosts, ","))
}

func parametersText(p *pb.SynchronizerParameters) string {
	policy := strings.ToLower(strings.TrimPrefix(p.GetOnboardingPolicy().String(), "ONBOARDING_POLICY_"))
	return fmt.Sprintf("topology-change-delay=%s decision-timeout=%s ledger-time-tolerance=%s mediator-reaction-timeout=%s max-request-size=%d onboarding-policy=%s",
		micros(p.GetTopologyChangeDelayMicros()), micros(p.GetDecisionTimeoutMicros()), micros(p.GetLedgerTimeToleranceMicros()),
		micros(p.GetMediatorReactionTimeoutMicros()), p.GetMaxRequestSize(), policy)
}

func micros(us int64) time.Duration { return time.Duration(us) * time.Microsecond }

// fingerprintStrings renders fingerprints in full, sorted.
func fingerprintStrings(fps []crypto.Fingerprint) []string {
	out := make([]string, len(fps))
	for i, f := range fps {
		out[i] = string(f)
	}
	slices.Sort(out)
	return out
}
