package core

import (
	"slices"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/topology"
)

// composite is the membership the sequencer routes and authenticates with: the members
// the genesis bootstraps, overlaid by the on-chain topology state at a sequencing time.
// A member that has an OwnerToKeyMapping in the topology uses the topology's keys (so a
// genesis member can rotate its key on-chain); everyone else keeps its genesis keys.
type composite struct {
	genesis Membership
	topo    *topology.Snapshot
	members []string
	root    []byte
}

func newComposite(genesis Membership, topo *topology.Snapshot) *composite {
	return &composite{
		genesis: genesis,
		topo:    topo,
		members: union(genesis.Members(), topo.Members()),
		root:    crypto.NewHasher(crypto.PurposeMembershipRoot).AddBytes(genesis.Root()).AddBytes(topo.Root()).Sum(),
	}
}

func (c *composite) SigningKey(member string, fp crypto.Fingerprint) (crypto.SigningPublicKey, bool) {
	if c.topo.IsMember(member) {
		return c.topo.SigningKey(member, fp)
	}
	return c.genesis.SigningKey(member, fp)
}

func (c *composite) SigningKeys(member string) []crypto.Fingerprint {
	if c.topo.IsMember(member) {
		return c.topo.SigningKeys(member)
	}
	return c.genesis.SigningKeys(member)
}

func (c *composite) IsMember(member string) bool {
	return c.topo.IsMember(member) || c.genesis.IsMember(member)
}

func (c *composite) Members() []string { return c.members }

func (c *composite) Group(kind pb.GroupKind, index uint32) []string {
	if kind == pb.GroupKind_GROUP_KIND_ALL_MEMBERS {
		return c.members
	}
	return union(c.genesis.Group(kind, index), c.topo.Group(kind, index))
}

func (c *composite) Root() []byte { return c.root }

// union merges two sorted lists into a new sorted list without duplicates.
func union(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	out = append(append(out, a...), b...)
	slices.Sort(out)
	return slices.Compact(out)
}
