package topology

import (
	"fmt"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
)

// RootCertificate returns the root key of namespace ns when its root certificate is in
// force.
func (s *Snapshot) RootCertificate(ns crypto.Fingerprint) (crypto.SigningPublicKey, bool) {
	m := s.get(pb.MappingCode_MAPPING_CODE_NAMESPACE_DELEGATION, string(ns)+"/"+string(ns))
	if m == nil {
		return crypto.SigningPublicKey{}, false
	}
	return crypto.SigningPublicKey{Key: append([]byte(nil), m.GetNamespaceDelegation().TargetKey...)}, true
}

// NamespaceDelegations returns the delegations of ns in force (the root certificate
// included), ordered by target key fingerprint.
func (s *Snapshot) NamespaceDelegations(ns crypto.Fingerprint) []*pb.NamespaceDelegation {
	var out []*pb.NamespaceDelegation
	s.each(pb.MappingCode_MAPPING_CODE_NAMESPACE_DELEGATION, func(m *pb.TopologyMapping) {
		if d := m.GetNamespaceDelegation(); d.Namespace == string(ns) {
			out = append(out, clone(d))
		}
	})
	return out
}

// IdentifierDelegations returns the delegations of uid in force.
func (s *Snapshot) IdentifierDelegations(uid crypto.UID) []*pb.IdentifierDelegation {
	var out []*pb.IdentifierDelegation
	s.each(pb.MappingCode_MAPPING_CODE_IDENTIFIER_DELEGATION, func(m *pb.TopologyMapping) {
		if d := m.GetIdentifierDelegation(); d.Uid == uid.String() {
			out = append(out, clone(d))
		}
	})
	return out
}

// DecentralizedNamespace returns the definition of ns in force.
func (s *Snapshot) DecentralizedNamespace(ns crypto.Fingerprint) (*pb.DecentralizedNamespaceDefinition, bool) {
	m := s.get(pb.MappingCode_MAPPING_CODE_DECENTRALIZED_NAMESPACE_DEFINITION, string(ns))
	return clone(m.GetDecentralizedNamespaceDefinition()), m != nil
}

// OwnerToKeys returns the keys of member (PAR::..., MED::..., SEQ::...), whether or not
// it is an active member.
func (s *Snapshot) OwnerToKeys(member string) (*pb.OwnerToKeyMapping, bool) {
	m := s.get(pb.MappingCode_MAPPING_CODE_OWNER_TO_KEY_MAPPING, member)
	return clone(m.GetOwnerToKeyMapping()), m != nil
}

// EncryptionKeys returns the encryption keys of member, sorted by scheme and key.
func (s *Snapshot) EncryptionKeys(member string) []*pb.EncryptionKey {
	m, _ := s.OwnerToKeys(member)
	return m.GetEncryptionKeys()
}

// PartyToParticipant returns the hosting of party.
func (s *Snapshot) PartyToParticipant(party string) (*pb.PartyToParticipant, bool) {
	m := s.get(pb.MappingCode_MAPPING_CODE_PARTY_TO_PARTICIPANT, party)
	return clone(m.GetPartyToParticipant()), m != nil
}

// HostedParties returns the parties participant hosts, ordered by party.
func (s *Snapshot) HostedParties(participant string) []HostedParty {
	return append([]HostedParty(nil), s.hosted[participant]...)
}

// Parameters returns the synchronizer's parameters.
func (s *Snapshot) Parameters() (*pb.SynchronizerParameters, bool) {
	m := s.get(pb.MappingCode_MAPPING_CODE_SYNCHRONIZER_PARAMETERS_STATE, s.sync.String())
	p := m.GetSynchronizerParametersState().GetParameters()
	return clone(p), p != nil
}

// OnboardingPolicy returns the policy in force; permissioned while no parameters are
// defined.
func (s *Snapshot) OnboardingPolicy() pb.OnboardingPolicy {
	if p, ok := s.Parameters(); ok {
		return p.OnboardingPolicy
	}
	return pb.OnboardingPolicy_ONBOARDING_POLICY_PERMISSIONED
}

// MediatorGroup returns mediator group group.
func (s *Snapshot) MediatorGroup(group uint32) (*pb.MediatorSynchronizerState, bool) {
	m := s.get(pb.MappingCode_MAPPING_CODE_MEDIATOR_SYNCHRONIZER_STATE, fmt.Sprintf("%s/%d", s.sync, group))
	return clone(m.GetMediatorSynchronizerState()), m != nil
}

// MediatorGroups returns every mediator group in force, ordered by unique key.
func (s *Snapshot) MediatorGroups() []*pb.MediatorSynchronizerState {
	var out []*pb.MediatorSynchronizerState
	s.each(pb.MappingCode_MAPPING_CODE_MEDIATOR_SYNCHRONIZER_STATE, func(m *pb.TopologyMapping) {
		out = append(out, clone(m.GetMediatorSynchronizerState()))
	})
	return out
}

// SequencerState returns the sequencers of the synchronizer.
func (s *Snapshot) SequencerState() (*pb.SequencerSynchronizerState, bool) {
	m := s.get(pb.MappingCode_MAPPING_CODE_SEQUENCER_SYNCHRONIZER_STATE, s.sync.String())
	return clone(m.GetSequencerSynchronizerState()), m != nil
}

// ParticipantPermission returns the synchronizer permission of participant.
func (s *Snapshot) ParticipantPermission(participant string) (pb.ParticipantPermission, bool) {
	m := s.get(pb.MappingCode_MAPPING_CODE_PARTICIPANT_SYNCHRONIZER_PERMISSION, s.sync.String()+"/"+participant)
	return m.GetParticipantSynchronizerPermission().GetPermission(), m != nil
}

// VettedPackages returns the packages participant vets, sorted.
func (s *Snapshot) VettedPackages(participant string) []string {
	m := s.get(pb.MappingCode_MAPPING_CODE_VETTED_PACKAGES, participant)
	return append([]string(nil), m.GetVettedPackages().GetPackageIds()...)
}

// MemberTrafficLimit returns the traffic the owners granted member, if any.
func (s *Snapshot) MemberTrafficLimit(member string) (*pb.MemberTrafficLimit, bool) {
	m := s.get(pb.MappingCode_MAPPING_CODE_MEMBER_TRAFFIC_LIMIT, s.sync.String()+"/"+member)
	return clone(m.GetMemberTrafficLimit()), m != nil
}

// ValidatorSet returns the consensus validator set the owners decided on, if any.
func (s *Snapshot) ValidatorSet() (*pb.ValidatorSetState, bool) {
	m := s.get(pb.MappingCode_MAPPING_CODE_VALIDATOR_SET_STATE, s.sync.String())
	return clone(m.GetValidatorSetState()), m != nil
}
