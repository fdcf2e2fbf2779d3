package core

import (
	"sort"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// Membership answers who the members are, which keys they sign with and how groups
// expand. The genesis-based implementation below is what the sequencer uses until the
// on-chain topology state replaces it; both satisfy this interface.
type Membership interface {
	// SigningKey returns the member's current signing key with the given fingerprint.
	SigningKey(member string, fp crypto.Fingerprint) (crypto.SigningPublicKey, bool)
	// SigningKeys returns the fingerprints of the member's current keys, sorted.
	SigningKeys(member string) []crypto.Fingerprint
	// IsMember reports whether member is registered and active.
	IsMember(member string) bool
	// Members returns every active member, sorted. Callers must not modify the slice.
	Members() []string
	// Group expands a group recipient to its members, sorted; empty when unknown. Callers
	// must not modify the slice.
	Group(kind pb.GroupKind, index uint32) []string
	// Root is a hash committing to the whole membership (part of the app hash).
	Root() []byte
}

type genesisMembership struct {
	keys      map[string]map[crypto.Fingerprint]crypto.SigningPublicKey
	members   []string
	mediators map[uint32][]string
	seqs      []string
	root      []byte
}

// MembershipFromGenesis builds the membership a validated genesis declares.
func MembershipFromGenesis(g *Genesis) Membership {
	m := &genesisMembership{
		keys:      make(map[string]map[crypto.Fingerprint]crypto.SigningPublicKey),
		mediators: make(map[uint32][]string),
		root:      crypto.HashBytes(crypto.PurposeMembershipRoot, g.Canonical()),
	}
	for _, gm := range g.Members {
		ks := make(map[crypto.Fingerprint]crypto.SigningPublicKey)
		for _, k := range gm.SigningKeys {
			pk, err := decodeKey(k)
			if err == nil {
				ks[pk.Fingerprint()] = pk
			}
		}
		m.keys[gm.ID] = ks
		m.members = append(m.members, gm.ID)
		mem, _ := crypto.ParseMember(gm.ID)
		switch mem.Kind {
		case crypto.KindMediator:
			m.mediators[gm.MediatorGroup] = append(m.mediators[gm.MediatorGroup], gm.ID)
		case crypto.KindSequencer:
			m.seqs = append(m.seqs, gm.ID)
		}
	}
	sort.Strings(m.members)
	sort.Strings(m.seqs)
	for g := range m.mediators {
		sort.Strings(m.mediators[g])
	}
	return m
}

func (m *genesisMembership) SigningKey(member string, fp crypto.Fingerprint) (crypto.SigningPublicKey, bool) {
	k, ok := m.keys[member][fp]
	return k, ok
}

func (m *genesisMembership) SigningKeys(member string) []crypto.Fingerprint {
	out := make([]crypto.Fingerprint, 0, len(m.keys[member]))
	for fp := range m.keys[member] {
		out = append(out, fp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func (m *genesisMembership) IsMember(member string) bool { _, ok := m.keys[member]; return ok }

func (m *genesisMembership) Members() []string { return m.members }

func (m *genesisMembership) Group(kind pb.GroupKind, index uint32) []string {
	switch kind {
	case pb.GroupKind_GROUP_KIND_ALL_MEMBERS:
		return m.members
	case pb.GroupKind_GROUP_KIND_MEDIATOR_GROUP:
		return m.mediators[index]
	case pb.GroupKind_GROUP_KIND_SEQUENCERS:
		return m.seqs
	}
	return nil
}

func (m *genesisMembership) Root() []byte { return m.root }
