package topology

import (
	"bytes"
	"slices"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
)

// The constructors below build mappings for NewTransaction. They do not validate;
// NewTransaction does.

// RestrictAll lets a delegated key sign every mapping.
func RestrictAll() *pb.DelegationRestriction {
	return &pb.DelegationRestriction{Kind: pb.RestrictionKind_RESTRICTION_KIND_ALL}
}

// RestrictAllButNamespaceDelegations lets a delegated key sign everything but further
// namespace delegations.
func RestrictAllButNamespaceDelegations() *pb.DelegationRestriction {
	return &pb.DelegationRestriction{Kind: pb.RestrictionKind_RESTRICTION_KIND_ALL_BUT_NAMESPACE_DELEGATIONS}
}

// RestrictTo lets a delegated key sign only the listed mapping codes.
func RestrictTo(codes ...pb.MappingCode) *pb.DelegationRestriction {
	return &pb.DelegationRestriction{Kind: pb.RestrictionKind_RESTRICTION_KIND_SPECIFIC, Mappings: codes}
}

// NewNamespaceDelegation delegates namespace ns to target.
func NewNamespaceDelegation(ns crypto.Fingerprint, target crypto.SigningPublicKey, r *pb.DelegationRestriction) *pb.TopologyMapping {
	return &pb.TopologyMapping{Mapping: &pb.TopologyMapping_NamespaceDelegation{NamespaceDelegation: &pb.NamespaceDelegation{
		Namespace: string(ns), TargetKey: target.Key, Restriction: r,
	}}}
}

// NewRootCertificate is the root certificate of the namespace of key (restriction all).
func NewRootCertificate(key crypto.SigningPublicKey) *pb.TopologyMapping {
	return NewNamespaceDelegation(key.Fingerprint(), key, RestrictAll())
}

// NewIdentifierDelegation delegates the identifier uid to target.
func NewIdentifierDelegation(uid crypto.UID, target crypto.SigningPublicKey) *pb.TopologyMapping {
	return &pb.TopologyMapping{Mapping: &pb.TopologyMapping_IdentifierDelegation{IdentifierDelegation: &pb.IdentifierDelegation{
		Uid: uid.String(), TargetKey: target.Key,
	}}}
}

// NewDecentralizedNamespace defines (or redefines) decentralized namespace ns. For a
// first definition, ns must be DecentralizedNamespace(owners).
func NewDecentralizedNamespace(ns crypto.Fingerprint, threshold uint32, owners ...crypto.Fingerprint) *pb.TopologyMapping {
	d := &pb.DecentralizedNamespaceDefinition{Namespace: string(ns), Threshold: threshold}
	for _, o := range owners {
		d.Owners = append(d.Owners, string(o))
	}
	return &pb.TopologyMapping{Mapping: &pb.TopologyMapping_DecentralizedNamespaceDefinition{DecentralizedNamespaceDefinition: d}}
}

// NewOwnerToKeyMapping binds member to signing and encryption keys.
func NewOwnerToKeyMapping(member crypto.Member, signing []crypto.SigningPublicKey, encryption ...*pb.EncryptionKey) *pb.TopologyMapping {
	m := &pb.OwnerToKeyMapping{Member: member.String(), EncryptionKeys: encryption}
	for _, k := range signing {
		m.SigningKeys = append(m.SigningKeys, k.Key)
	}
	return &pb.TopologyMapping{Mapping: &pb.TopologyMapping_OwnerToKeyMapping{OwnerToKeyMapping: m}}
}

// Host is one hosting participant of a PartyToParticipant.
func Host(participant crypto.Member, p pb.ParticipantPermission) *pb.HostingParticipant {
	return &pb.HostingParticipant{Participant: participant.String(), Permission: p}
}

// NewPartyToParticipant hosts party on participants with a confirmation threshold.
func NewPartyToParticipant(party crypto.UID, threshold uint32, hosts ...*pb.HostingParticipant) *pb.TopologyMapping {
	return &pb.TopologyMapping{Mapping: &pb.TopologyMapping_PartyToParticipant{PartyToParticipant: &pb.PartyToParticipant{
		Party: party.String(), Threshold: threshold, Participants: hosts,
	}}}
}

// NewSynchronizerParameters sets the synchronizer's parameters.
func NewSynchronizerParameters(sync crypto.UID, p *pb.SynchronizerParameters) *pb.TopologyMapping {
	return &pb.TopologyMapping{Mapping: &pb.TopologyMapping_SynchronizerParametersState{SynchronizerParametersState: &pb.SynchronizerParametersState{
		SynchronizerId: sync.String(), Parameters: p,
	}}}
}

// NewMediatorState defines mediator group group.
func NewMediatorState(sync crypto.UID, group, threshold uint32, active []crypto.Member, observers ...crypto.Member) *pb.TopologyMapping {
	return &pb.TopologyMapping{Mapping: &pb.TopologyMapping_MediatorSynchronizerState{MediatorSynchronizerState: &pb.MediatorSynchronizerState{
		SynchronizerId: sync.String(), Group: group, Threshold: threshold, Active: memberStrings(active), Observers: memberStrings(observers),
	}}}
}

// NewSequencerState lists the active sequencers.
func NewSequencerState(sync crypto.UID, threshold uint32, active ...crypto.Member) *pb.TopologyMapping {
	return &pb.TopologyMapping{Mapping: &pb.TopologyMapping_SequencerSynchronizerState{SequencerSynchronizerState: &pb.SequencerSynchronizerState{
		SynchronizerId: sync.String(), Threshold: threshold, Active: memberStrings(active),
	}}}
}

// NewParticipantPermission admits participant under the permissioned policy.
func NewParticipantPermission(sync crypto.UID, participant crypto.Member, p pb.ParticipantPermission) *pb.TopologyMapping {
	return &pb.TopologyMapping{Mapping: &pb.TopologyMapping_ParticipantSynchronizerPermission{ParticipantSynchronizerPermission: &pb.ParticipantSynchronizerPermission{
		SynchronizerId: sync.String(), Participant: participant.String(), Permission: p,
	}}}
}

// NewVettedPackages lists the packages participant vets.
func NewVettedPackages(participant crypto.Member, packageIDs ...string) *pb.TopologyMapping {
	return &pb.TopologyMapping{Mapping: &pb.TopologyMapping_VettedPackages{VettedPackages: &pb.VettedPackages{
		Participant: participant.String(), PackageIds: packageIDs,
	}}}
}

func memberStrings(ms []crypto.Member) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.String())
	}
	return out
}

// NewMemberTrafficLimit grants member extraTrafficLimit bytes of extra traffic in total
// on sync; with baseRate non-nil it also sets the member's own base rate (0: maintenance).
func NewMemberTrafficLimit(sync crypto.UID, member string, extraTrafficLimit int64, baseRate *int64) *pb.TopologyMapping {
	m := &pb.MemberTrafficLimit{SynchronizerId: sync.String(), Member: member, ExtraTrafficLimit: extraTrafficLimit}
	if baseRate != nil {
		m.BaseRate = &pb.TrafficRate{BytesPerSecond: *baseRate}
	}
	return &pb.TopologyMapping{Mapping: &pb.TopologyMapping_MemberTrafficLimit{MemberTrafficLimit: m}}
}

// NewValidatorSet sets the synchronizer's consensus validators (sorted here by key).
func NewValidatorSet(sync crypto.UID, validators ...*pb.Validator) *pb.TopologyMapping {
	vs := slices.Clone(validators)
	slices.SortFunc(vs, func(a, b *pb.Validator) int { return bytes.Compare(a.PubKeyEd25519, b.PubKeyEd25519) })
	return &pb.TopologyMapping{Mapping: &pb.TopologyMapping_ValidatorSetState{ValidatorSetState: &pb.ValidatorSetState{
		SynchronizerId: sync.String(), Validators: vs,
	}}}
}
