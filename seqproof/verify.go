package seqproof

import (
	"bytes"
	"errors"
	"fmt"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// Sentinels of the verify functions; errors wrap one of them with what was being proved.
var (
	// ErrMissingProof: the response carries no proof (or no app-hash inputs).
	ErrMissingProof = errors.New("no proof")
	// ErrAppHashMismatch: the app-hash inputs do not hash to the verified app hash.
	ErrAppHashMismatch = errors.New("app hash inputs do not match the app hash")
	// ErrHeightMismatch: the proof is for another height than the event or response.
	ErrHeightMismatch = errors.New("proof height differs")
	// ErrLeafMismatch: the leaf recomputed from what was served is not in the tree at the
	// proof's position (altered bytes, wrong index or aunts).
	ErrLeafMismatch = errors.New("leaf not in the committed tree")
	// ErrBadHead: a stream head response contradicts itself (absent with a counter, or a
	// negative counter).
	ErrBadHead = errors.New("inconsistent stream head")
	// ErrNotAbsent: an absence proof does not show the member missing from the
	// counters tree.
	ErrNotAbsent = errors.New("absence not proved")
	// ErrMembershipRootMismatch: the topology state is not the one the app hash commits to.
	ErrMembershipRootMismatch = errors.New("topology state does not match the membership root")
)

// VerifyEvent checks that ev is event ev.Counter of member's stream as sequenced in block
// ev.Height, whose app hash (carried by the header of ev.Height + 1) is appHash.
func VerifyEvent(member string, ev *pb.SequencedEvent, p *pb.EventProof, appHash []byte) error {
	if ev == nil {
		return fmt.Errorf("%s: no event: %w", member, ErrMissingProof)
	}
	if p == nil || p.Block == nil {
		return fmt.Errorf("event %d of %s: %w", ev.Counter, member, ErrMissingProof)
	}
	if p.Block.Height != ev.Height {
		return fmt.Errorf("event %d of %s at height %d: proof for height %d: %w", ev.Counter, member, ev.Height, p.Block.Height, ErrHeightMismatch)
	}
	if err := checkAppHash(p.Block, appHash); err != nil {
		return fmt.Errorf("event %d of %s: %w", ev.Counter, member, err)
	}
	if err := checkLeaf(p.Block.EventsRoot, EventLeaf(member, ev), p.LeafIndex, p.LeafTotal, p.Aunts); err != nil {
		return fmt.Errorf("event %d of %s at height %d: %w", ev.Counter, member, ev.Height, err)
	}
	return nil
}

// VerifyStreamHead checks that member's stream held r.NextCounter events after block
// r.Height, whose app hash is appHash. For an absent member (no event yet) it checks the
// two adjacent leaves around where the member would sort, or that the tree is empty.
func VerifyStreamHead(member string, r *pb.GetStreamHeadResponse, appHash []byte) error {
	if r == nil || r.Block == nil {
		return fmt.Errorf("stream head of %s: %w", member, ErrMissingProof)
	}
	if r.Block.Height != r.Height {
		return fmt.Errorf("stream head of %s at height %d: proof for height %d: %w", member, r.Height, r.Block.Height, ErrHeightMismatch)
	}
	if err := checkAppHash(r.Block, appHash); err != nil {
		return fmt.Errorf("stream head of %s: %w", member, err)
	}
	if r.Absent {
		if err := checkAbsent(member, r); err != nil {
			return fmt.Errorf("stream head of %s at height %d: %w", member, r.Height, err)
		}
		return nil
	}
	if r.NextCounter <= 0 {
		return fmt.Errorf("stream head of %s at height %d: present with counter %d: %w", member, r.Height, r.NextCounter, ErrBadHead)
	}
	if err := checkCounterLeaf(r.Block.CountersRoot, member, r.NextCounter, r.LeafIndex, r.LeafTotal, r.Aunts); err != nil {
		return fmt.Errorf("stream head %d of %s at height %d: %w", r.NextCounter, member, r.Height, err)
	}
	return nil
}

// checkAbsent checks an absence proof: the leaves either side of member's place are in
// the tree, adjacent, and sort below and above member.
func checkAbsent(member string, r *pb.GetStreamHeadResponse) error {
	if r.NextCounter != 0 || len(r.Aunts) > 0 {
		return fmt.Errorf("absent with counter %d: %w", r.NextCounter, ErrBadHead)
	}
	root := r.Block.CountersRoot
	l, rt := r.AbsentLeft, r.AbsentRight
	if r.LeafTotal == 0 {
		if l != nil || rt != nil || !bytes.Equal(root, CountersRoot(Root(nil), 0)) {
			return fmt.Errorf("absent from a tree claimed empty: %w", ErrNotAbsent)
		}
		return nil
	}
	switch {
	case l == nil && rt == nil:
		return fmt.Errorf("absent without neighbours in a tree of %d: %w", r.LeafTotal, ErrNotAbsent)
	case l != nil && l.Member >= member, rt != nil && rt.Member <= member:
		return fmt.Errorf("neighbours do not enclose the member: %w", ErrNotAbsent)
	case l == nil && rt.LeafIndex != 0,
		rt == nil && l.LeafIndex != r.LeafTotal-1,
		l != nil && rt != nil && rt.LeafIndex != l.LeafIndex+1:
		return fmt.Errorf("neighbours not adjacent: %w", ErrNotAbsent)
	}
	for _, n := range []*pb.CounterLeafProof{l, rt} {
		if n == nil {
			continue
		}
		if err := checkCounterLeaf(root, n.Member, n.NextCounter, n.LeafIndex, r.LeafTotal, n.Aunts); err != nil {
			return fmt.Errorf("neighbour %s: %w", n.Member, err)
		}
	}
	return nil
}

// checkCounterLeaf checks that member's counter leaf with next is leaf index of the
// counters tree of total leaves that countersRoot commits to.
func checkCounterLeaf(countersRoot []byte, member string, next int64, index, total uint32, aunts [][]byte) error {
	root := rootOf(CounterLeaf(member, next), index, total, aunts)
	if root == nil || !bytes.Equal(CountersRoot(root, int(total)), countersRoot) {
		return fmt.Errorf("leaf %d of %d: %w", index, total, ErrLeafMismatch)
	}
	return nil
}

// VerifyTopology checks that a downloaded topology state, whose topology.State hash is
// stateHash, is the state of block r.Height, whose app hash is appHash.
func VerifyTopology(r *pb.DownloadTopologyStateForInitResponse, stateHash []byte, appHash []byte) error {
	if r == nil || r.Block == nil {
		return fmt.Errorf("topology state: %w", ErrMissingProof)
	}
	if r.Block.Height != r.Height {
		return fmt.Errorf("topology state at height %d: proof for height %d: %w", r.Height, r.Block.Height, ErrHeightMismatch)
	}
	if err := checkAppHash(r.Block, appHash); err != nil {
		return fmt.Errorf("topology state at height %d: %w", r.Height, err)
	}
	if !bytes.Equal(MembershipRoot(r.GenesisMembersRoot, stateHash), r.Block.MembershipRoot) {
		return fmt.Errorf("topology state at height %d: %w", r.Height, ErrMembershipRootMismatch)
	}
	return nil
}

func checkAppHash(in *pb.AppHashInputs, appHash []byte) error {
	if got := AppHash(in); !bytes.Equal(got, appHash) {
		return fmt.Errorf("height %d: inputs hash to %X, header says %X: %w", in.Height, got, appHash, ErrAppHashMismatch)
	}
	return nil
}

// rootOf is the Merkle root that leaf at index of total with aunts gives, nil when they
// do not fit.
func rootOf(leaf []byte, index, total uint32, aunts [][]byte) []byte {
	if len(leaf) == 0 || len(aunts) > maxAunts {
		return nil
	}
	return rootFromAunts(uint64(index), uint64(total), leafHash(leaf), aunts)
}

// maxAunts bounds a proof's path (CometBFT's merkle.MaxAunts).
const maxAunts = 100

// checkLeaf checks that leaf is leaf index of total under root with aunts.
func checkLeaf(root, leaf []byte, index, total uint32, aunts [][]byte) error {
	if got := rootOf(leaf, index, total, aunts); got == nil || !bytes.Equal(got, root) {
		return fmt.Errorf("leaf %d of %d with %d aunts: %w", index, total, len(aunts), ErrLeafMismatch)
	}
	return nil
}
