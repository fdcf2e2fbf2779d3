package topology

import (
	"crypto/ed25519"
	"fmt"
	"slices"
	"strings"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
)

// MaxListLength bounds every list inside a mapping (owners, keys, participants,
// packages, mediators, ...).
const MaxListLength = 1024

// validateMapping checks m and normalizes it in place: set-like lists are sorted. It
// rejects duplicates rather than dropping them.
func validateMapping(m *pb.TopologyMapping) error {
	switch x := m.GetMapping().(type) {
	case *pb.TopologyMapping_NamespaceDelegation:
		return validateNamespaceDelegation(x.NamespaceDelegation)
	case *pb.TopologyMapping_IdentifierDelegation:
		return validateIdentifierDelegation(x.IdentifierDelegation)
	case *pb.TopologyMapping_DecentralizedNamespaceDefinition:
		return validateDecentralizedNamespace(x.DecentralizedNamespaceDefinition)
	case *pb.TopologyMapping_OwnerToKeyMapping:
		return validateOwnerToKey(x.OwnerToKeyMapping)
	case *pb.TopologyMapping_PartyToParticipant:
		return validatePartyToParticipant(x.PartyToParticipant)
	case *pb.TopologyMapping_SynchronizerParametersState:
		return validateParametersState(x.SynchronizerParametersState)
	case *pb.TopologyMapping_MediatorSynchronizerState:
		return validateMediatorState(x.MediatorSynchronizerState)
	case *pb.TopologyMapping_SequencerSynchronizerState:
		return validateSequencerState(x.SequencerSynchronizerState)
	case *pb.TopologyMapping_ParticipantSynchronizerPermission:
		return validateParticipantPermission(x.ParticipantSynchronizerPermission)
	case *pb.TopologyMapping_VettedPackages:
		return validateVettedPackages(x.VettedPackages)
	case *pb.TopologyMapping_ValidatorSetState:
		return validateValidatorSet(x.ValidatorSetState)
	case *pb.TopologyMapping_MemberTrafficLimit:
		return validateMemberTrafficLimit(x.MemberTrafficLimit)
	}
	return invalid("mapping", "exactly one mapping must be set")
}

func validateFingerprint(field, s string) error {
	if _, err := crypto.ParseFingerprint(s); err != nil {
		return invalid(field, "%v", err)
	}
	return nil
}

func validateUID(field, s string) (crypto.UID, error) {
	u, err := crypto.ParseUID(s)
	if err != nil {
		return crypto.UID{}, invalid(field, "%v", err)
	}
	return u, nil
}

func validateMember(field, s string, kind crypto.MemberKind) (crypto.Member, error) {
	m, err := crypto.ParseMember(s)
	if err != nil {
		return crypto.Member{}, invalid(field, "%v", err)
	}
	if kind != "" && m.Kind != kind {
		return crypto.Member{}, invalid(field, "%q is not a %s member", s, kind)
	}
	return m, nil
}

func validateSigningKey(field string, k []byte) error {
	if len(k) != ed25519.PublicKeySize {
		return invalid(field, "%d bytes, want an Ed25519 public key of %d", len(k), ed25519.PublicKeySize)
	}
	return nil
}

func validatePermission(field string, p pb.ParticipantPermission) error {
	if p < pb.ParticipantPermission_PARTICIPANT_PERMISSION_SUBMISSION || p > pb.ParticipantPermission_PARTICIPANT_PERMISSION_OBSERVATION {
		return invalid(field, "unknown permission %d", int32(p))
	}
	return nil
}

func validateListLength(field string, n int, allowEmpty bool) error {
	if n == 0 && !allowEmpty {
		return invalid(field, "must not be empty")
	}
	if n > MaxListLength {
		return invalid(field, "%d entries exceed %d", n, MaxListLength)
	}
	return nil
}

func validateThreshold(field string, t uint32, n int) error {
	if t == 0 || int(t) > n {
		return invalid(field, "%d must be between 1 and %d", t, n)
	}
	return nil
}

// sortDistinct sorts xs with cmp and rejects equal neighbours.
func sortDistinct[T any](field string, xs []T, cmp func(a, b T) int) error {
	slices.SortFunc(xs, cmp)
	for i := 1; i < len(xs); i++ {
		if cmp(xs[i-1], xs[i]) == 0 {
			return invalid(field, "duplicate entry %v", xs[i])
		}
	}
	return nil
}

func sortDistinctStrings(field string, xs []string) error {
	return sortDistinct(field, xs, strings.Compare)
}

func fieldAt(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }

func containsSorted(xs []string, x string) bool {
	_, ok := slices.BinarySearch(xs, x)
	return ok
}
