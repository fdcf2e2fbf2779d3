package topology

import (
	"slices"

	"github.com/cometsync/cometsync/crypto"
	seqpb "github.com/cometsync/cometsync/proto/sequencerpb"
	pb "github.com/cometsync/cometsync/proto/topologypb"
)

// membership is the sequencer's view of a snapshot: who may send and receive, with
// which keys, and how groups expand.
type membership struct {
	keys       map[string]map[crypto.Fingerprint]crypto.SigningPublicKey
	members    []string
	mediators  map[uint32][]string
	sequencers []string
}

// buildMembership derives the members of a snapshot: every member with an
// OwnerToKeyMapping that is a participant admitted by the onboarding policy, a mediator
// of some mediator group (active or observer) or an active sequencer.
func buildMembership(s *Snapshot) membership {
	m := membership{keys: make(map[string]map[crypto.Fingerprint]crypto.SigningPublicKey), mediators: make(map[uint32][]string)}
	listed := s.listedMembers()
	s.each(pb.MappingCode_MAPPING_CODE_OWNER_TO_KEY_MAPPING, func(tm *pb.TopologyMapping) {
		otk := tm.GetOwnerToKeyMapping()
		if !s.admitted(otk.Member, listed) {
			return
		}
		ks := make(map[crypto.Fingerprint]crypto.SigningPublicKey, len(otk.SigningKeys))
		for _, k := range otk.SigningKeys {
			ks[fingerprintOf(k)] = crypto.SigningPublicKey{Key: k}
		}
		m.keys[otk.Member] = ks
		m.members = append(m.members, otk.Member)
	})
	slices.Sort(m.members)
	for _, g := range s.MediatorGroups() {
		m.mediators[g.Group] = m.filter(append(g.Active, g.Observers...))
	}
	if sq, ok := s.SequencerState(); ok {
		m.sequencers = m.filter(sq.Active)
	}
	return m
}

// listedMembers returns the mediators and sequencers the synchronizer states name.
func (s *Snapshot) listedMembers() map[string]bool {
	out := make(map[string]bool)
	for _, g := range s.MediatorGroups() {
		for _, x := range append(g.Active, g.Observers...) {
			out[x] = true
		}
	}
	if sq, ok := s.SequencerState(); ok {
		for _, x := range sq.Active {
			out[x] = true
		}
	}
	return out
}

func (s *Snapshot) admitted(member string, listed map[string]bool) bool {
	mem, err := crypto.ParseMember(member)
	if err != nil {
		return false
	}
	if mem.Kind != crypto.KindParticipant {
		return listed[member]
	}
	if s.OnboardingPolicy() == pb.OnboardingPolicy_ONBOARDING_POLICY_OPEN {
		return true
	}
	_, ok := s.ParticipantPermission(member)
	return ok
}

// filter keeps the members among xs, sorted.
func (m membership) filter(xs []string) []string {
	var out []string
	for _, x := range xs {
		if _, ok := m.keys[x]; ok {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

// SigningKey returns the signing key of an active member with fingerprint fp.
func (s *Snapshot) SigningKey(member string, fp crypto.Fingerprint) (crypto.SigningPublicKey, bool) {
	k, ok := s.members.keys[member][fp]
	return k, ok
}

// SigningKeys returns the fingerprints of an active member's signing keys, sorted.
func (s *Snapshot) SigningKeys(member string) []crypto.Fingerprint {
	out := make([]crypto.Fingerprint, 0, len(s.members.keys[member]))
	for fp := range s.members.keys[member] {
		out = append(out, fp)
	}
	slices.Sort(out)
	return out
}

// IsMember reports whether member is active: it has an OwnerToKeyMapping and is an
// admitted participant, a listed mediator or an active sequencer.
func (s *Snapshot) IsMember(member string) bool { _, ok := s.members.keys[member]; return ok }

// Members returns every active member, sorted. Callers must not modify the slice.
func (s *Snapshot) Members() []string { return s.members.members }

// Group expands a group recipient to its active members, sorted; empty for unknown
// groups and for the topology manager (which is the sequencer application, not a
// member). Callers must not modify the slice.
func (s *Snapshot) Group(kind seqpb.GroupKind, index uint32) []string {
	switch kind {
	case seqpb.GroupKind_GROUP_KIND_ALL_MEMBERS:
		return s.members.members
	case seqpb.GroupKind_GROUP_KIND_MEDIATOR_GROUP:
		return s.members.mediators[index]
	case seqpb.GroupKind_GROUP_KIND_SEQUENCERS:
		return s.members.sequencers
	}
	return nil
}

// Root is a hash committing to the snapshot's content: the synchronizer id and the
// unique key and transaction hash of every mapping in force, in unique-key order.
func (s *Snapshot) Root() []byte { return append([]byte(nil), s.root...) }
