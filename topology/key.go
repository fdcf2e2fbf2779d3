package topology

import (
	"fmt"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
)

// UniqueKey identifies the slot a mapping occupies: at most one mapping per unique key is
// in force at a time, and serials count per unique key.
type UniqueKey struct {
	Code pb.MappingCode
	// ID is the mapping's identity within its code, for example the member of an
	// OwnerToKeyMapping or "synchronizer/group" of a MediatorSynchronizerState.
	ID string
}

// String renders the key as "code/id"; it orders keys canonically.
func (k UniqueKey) String() string { return fmt.Sprintf("%02d/%s", int32(k.Code), k.ID) }

// Less orders unique keys by code, then by id.
func (k UniqueKey) Less(o UniqueKey) bool {
	if k.Code != o.Code {
		return k.Code < o.Code
	}
	return k.ID < o.ID
}

// CodeOf returns the code of the mapping m holds (MAPPING_CODE_UNSPECIFIED when empty).
func CodeOf(m *pb.TopologyMapping) pb.MappingCode {
	switch m.GetMapping().(type) {
	case *pb.TopologyMapping_NamespaceDelegation:
		return pb.MappingCode_MAPPING_CODE_NAMESPACE_DELEGATION
	case *pb.TopologyMapping_IdentifierDelegation:
		return pb.MappingCode_MAPPING_CODE_IDENTIFIER_DELEGATION
	case *pb.TopologyMapping_DecentralizedNamespaceDefinition:
		return pb.MappingCode_MAPPING_CODE_DECENTRALIZED_NAMESPACE_DEFINITION
	case *pb.TopologyMapping_OwnerToKeyMapping:
		return pb.MappingCode_MAPPING_CODE_OWNER_TO_KEY_MAPPING
	case *pb.TopologyMapping_PartyToParticipant:
		return pb.MappingCode_MAPPING_CODE_PARTY_TO_PARTICIPANT
	case *pb.TopologyMapping_SynchronizerParametersState:
		return pb.MappingCode_MAPPING_CODE_SYNCHRONIZER_PARAMETERS_STATE
	case *pb.TopologyMapping_MediatorSynchronizerState:
		return pb.MappingCode_MAPPING_CODE_MEDIATOR_SYNCHRONIZER_STATE
	case *pb.TopologyMapping_SequencerSynchronizerState:
		return pb.MappingCode_MAPPING_CODE_SEQUENCER_SYNCHRONIZER_STATE
	case *pb.TopologyMapping_ParticipantSynchronizerPermission:
		return pb.MappingCode_MAPPING_CODE_PARTICIPANT_SYNCHRONIZER_PERMISSION
	case *pb.TopologyMapping_VettedPackages:
		return pb.MappingCode_MAPPING_CODE_VETTED_PACKAGES
	case *pb.TopologyMapping_ValidatorSetState:
		return pb.MappingCode_MAPPING_CODE_VALIDATOR_SET_STATE
	case *pb.TopologyMapping_MemberTrafficLimit:
		return pb.MappingCode_MAPPING_CODE_MEMBER_TRAFFIC_LIMIT
	}
	return pb.MappingCode_MAPPING_CODE_UNSPECIFIED
}

// validCode reports whether c names a mapping kind.
func validCode(c pb.MappingCode) bool {
	return c >= pb.MappingCode_MAPPING_CODE_NAMESPACE_DELEGATION && c <= pb.MappingCode_MAPPING_CODE_MEMBER_TRAFFIC_LIMIT
}

// KeyOf validates m (as NewTransaction does) and returns the unique key it occupies:
// what State.Serial and Snapshot.Mapping look it up by. Errors wrap ErrMalformed or
// ErrInvalidMapping.
func KeyOf(m *pb.TopologyMapping) (UniqueKey, error) {
	tx, err := NewTransaction(pb.Operation_OPERATION_REPLACE, 1, m)
	if err != nil {
		return UniqueKey{}, err
	}
	return tx.Key(), nil
}

// The key forms of the mappings identified by their owner alone: the keys a REMOVE of
// the mapping in force is looked up by when the rest of the mapping is not known.

// DecentralizedNamespaceKey is the unique key of the DecentralizedNamespaceDefinition of ns.
func DecentralizedNamespaceKey(ns crypto.Fingerprint) UniqueKey {
	return UniqueKey{Code: pb.MappingCode_MAPPING_CODE_DECENTRALIZED_NAMESPACE_DEFINITION, ID: string(ns)}
}

// OwnerToKeyMappingKey is the unique key of the OwnerToKeyMapping of member.
func OwnerToKeyMappingKey(member string) UniqueKey {
	return UniqueKey{Code: pb.MappingCode_MAPPING_CODE_OWNER_TO_KEY_MAPPING, ID: member}
}

// PartyToParticipantKey is the unique key of the PartyToParticipant of party.
func PartyToParticipantKey(party string) UniqueKey {
	return UniqueKey{Code: pb.MappingCode_MAPPING_CODE_PARTY_TO_PARTICIPANT, ID: party}
}

// SynchronizerParametersKey is the unique key of the SynchronizerParametersState of
// synchronizer.
func SynchronizerParametersKey(synchronizer string) UniqueKey {
	return UniqueKey{Code: pb.MappingCode_MAPPING_CODE_SYNCHRONIZER_PARAMETERS_STATE, ID: synchronizer}
}

// ParticipantPermissionKey is the unique key of the ParticipantSynchronizerPermission of
// participant on synchronizer.
func ParticipantPermissionKey(synchronizer, participant string) UniqueKey {
	return UniqueKey{Code: pb.MappingCode_MAPPING_CODE_PARTICIPANT_SYNCHRONIZER_PERMISSION, ID: synchronizer + "/" + participant}
}

// MemberTrafficLimitKey is the unique key of the MemberTrafficLimit of member on
// synchronizer.
func MemberTrafficLimitKey(synchronizer, member string) UniqueKey {
	return UniqueKey{Code: pb.MappingCode_MAPPING_CODE_MEMBER_TRAFFIC_LIMIT, ID: synchronizer + "/" + member}
}

// uniqueKeyOf computes the unique key of a validated mapping.
func uniqueKeyOf(m *pb.TopologyMapping) UniqueKey {
	switch x := m.GetMapping().(type) {
	case *pb.TopologyMapping_DecentralizedNamespaceDefinition:
		return DecentralizedNamespaceKey(crypto.Fingerprint(x.DecentralizedNamespaceDefinition.Namespace))
	case *pb.TopologyMapping_OwnerToKeyMapping:
		return OwnerToKeyMappingKey(x.OwnerToKeyMapping.Member)
	case *pb.TopologyMapping_PartyToParticipant:
		return PartyToParticipantKey(x.PartyToParticipant.Party)
	case *pb.TopologyMapping_SynchronizerParametersState:
		return SynchronizerParametersKey(x.SynchronizerParametersState.SynchronizerId)
	case *pb.TopologyMapping_ParticipantSynchronizerPermission:
		p := x.ParticipantSynchronizerPermission
		return ParticipantPermissionKey(p.SynchronizerId, p.Participant)
	case *pb.TopologyMapping_MemberTrafficLimit:
		return MemberTrafficLimitKey(x.MemberTrafficLimit.SynchronizerId, x.MemberTrafficLimit.Member)
	}
	k := UniqueKey{Code: CodeOf(m)}
	switch x := m.GetMapping().(type) {
	case *pb.TopologyMapping_NamespaceDelegation:
		k.ID = x.NamespaceDelegation.Namespace + "/" + string(fingerprintOf(x.NamespaceDelegation.TargetKey))
	case *pb.TopologyMapping_IdentifierDelegation:
		k.ID = x.IdentifierDelegation.Uid + "/" + string(fingerprintOf(x.IdentifierDelegation.TargetKey))
	case *pb.TopologyMapping_MediatorSynchronizerState:
		k.ID = fmt.Sprintf("%s/%d", x.MediatorSynchronizerState.SynchronizerId, x.MediatorSynchronizerState.Group)
	case *pb.TopologyMapping_SequencerSynchronizerState:
		k.ID = x.SequencerSynchronizerState.SynchronizerId
	case *pb.TopologyMapping_VettedPackages:
		k.ID = x.VettedPackages.Participant
	case *pb.TopologyMapping_ValidatorSetState:
		k.ID = x.ValidatorSetState.SynchronizerId
	}
	return k
}
