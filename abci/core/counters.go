package core

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqproof"
)

// counterSet is every member's next counter after one block, with the counter leaves in
// member byte order and their Merkle root: the counters part of the app hash. The machine
// keeps the set of the committed state so that a block hashes only the members it changed
// plus the tree. A set is never modified once built.
type counterSet struct {
	height  int64
	appHash []byte // the app hash of the state it belongs to
	members []string
	next    []int64
	leaves  [][]byte
	hashes  levels // the tree's cached hashes, for the next block's root
	root    []byte

	treeOnce sync.Once
	tree     *seqproof.Tree // the proofs of leaves, built at the first stream head asked for
}

// proofTree returns the tree over the set's leaves with every leaf's proof.
func (cs *counterSet) proofTree() *seqproof.Tree {
	cs.treeOnce.Do(func() { cs.tree = seqproof.NewTree(cs.leaves) })
	return cs.tree
}

// recentCounterSets is how many committed heights' counter sets the machine keeps, so
// that a stream head can be proved at a height a few blocks back (the latest height whose
// app hash a header with a commit carries).
const recentCounterSets = 8

// loadCounterSet derives the counter set from committed state r, whose head is meta.
func loadCounterSet(r Reader, meta *pb.AppMeta) (*counterSet, error) {
	cs := &counterSet{height: meta.Height, appHash: meta.AppHash}
	h := crypto.NewHasher(crypto.PurposeStreamProof)
	prefix := []byte{tagCounter}
	err := r.Iterate(prefix, nil, func(key, value []byte) (bool, error) {
		var c pb.MemberCounter
		if err := c.Unmarshal(value); err != nil {
			return false, fmt.Errorf("stored counter of %s: %w", key[1:], err)
		}
		m := string(key[1:])
		cs.members, cs.next = append(cs.members, m), append(cs.next, c.Next)
		cs.leaves = append(cs.leaves, seqproof.CounterLeafTo(h, m, c.Next))
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	cs.hashes = updateLevels(nil, cs.leaves, nil, 0)
	cs.root = seqproof.CountersRoot(cs.hashes.root(len(cs.leaves)), len(cs.leaves))
	return cs, nil
}

// with returns the set after a block that moved the counters of the members of next
// (sorted: members) to their values; height and appHash are set by the caller once known.
// It rehashes the changed members' leaves and their subtrees (all subtrees right of a
// member's first event, which shifts the leaves after it).
func (cs *counterSet) with(h *crypto.Hasher, members []string, next map[string]int64) *counterSet {
	out := &counterSet{
		members: slices.Clip(cs.members), next: slices.Clip(cs.next), leaves: slices.Clip(cs.leaves),
	}
	copied := false
	from := -1      // the first inserted member's position: leaves from there on moved
	var dirty []int // the positions before from whose leaf changed, ascending
	for _, m := range members {
		n := next[m]
		i, found := sort.Find(len(out.members), func(i int) int { return strings.Compare(m, out.members[i]) })
		if found {
			if !copied {
				out.next, out.leaves = slices.Clone(out.next), slices.Clone(out.leaves)
				copied = true
			}
			out.next[i], out.leaves[i] = n, seqproof.CounterLeafTo(h, m, n)
			if from < 0 {
				dirty = append(dirty, i)
			}
			continue
		}
		if from < 0 {
			from = i // members come in order, so later inserts land after it
		}
		// Insert allocates new backing arrays (the slices are clipped), so cs stays intact.
		out.members = slices.Insert(out.members, i, m)
		out.next = slices.Insert(out.next, i, n)
		out.leaves = slices.Insert(out.leaves, i, seqproof.CounterLeafTo(h, m, n))
		copied = true
	}
	if from < 0 {
		from = len(out.leaves)
	}
	out.hashes = updateLevels(cs.hashes, out.leaves, dirty, from)
	out.root = seqproof.CountersRoot(out.hashes.root(len(out.leaves)), len(out.leaves))
	return out
}

// head returns member's next counter and its leaf index, or, found false when the member
// has no event, the index where it would sort.
func (cs *counterSet) head(member string) (next int64, index int, found bool) {
	i, found := sort.Find(len(cs.members), func(i int) int { return strings.Compare(member, cs.members[i]) })
	if !found {
		return 0, i, false
	}
	return cs.next[i], i, true
}

// leafProof returns leaf i with its path.
func (cs *counterSet) leafProof(i int) *pb.CounterLeafProof {
	idx, _, aunts := cs.proofTree().Prove(i)
	return &pb.CounterLeafProof{Member: cs.members[i], NextCounter: cs.next[i], LeafIndex: idx, Aunts: aunts}
}

// counterSetFor returns the counter set of the state r whose head is meta: the machine's
// committed set when it belongs to that state, else one derived from r.
func (m *Machine) counterSetFor(r Reader, meta *pb.AppMeta) (*counterSet, error) {
	if cs := m.recentCounterSet(meta.Height, meta.AppHash); cs != nil {
		return cs, nil
	}
	return loadCounterSet(r, meta)
}

// recentCounterSet returns the kept set of height whose state has appHash (nil appHash:
// any), or nil.
func (m *Machine) recentCounterSet(height int64, appHash []byte) *counterSet {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for i := len(m.counters) - 1; i >= 0; i-- {
		cs := m.counters[i]
		if cs.height == height && (appHash == nil || bytes.Equal(cs.appHash, appHash)) {
			return cs
		}
	}
	return nil
}

// adoptCounters keeps cs as the committed set, dropping sets of other heights' futures
// (a state that went back, as in tests that reuse a machine) and the oldest beyond
// recentCounterSets.
func (m *Machine) adoptCounters(cs *counterSet) {
	m.mu.Lock()
	defer m.mu.Unlock()
	kept := m.counters[:0:0]
	for _, c := range m.counters {
		if c.height < cs.height {
			kept = append(kept, c)
		}
	}
	kept = append(kept, cs)
	if len(kept) > recentCounterSets {
		kept = kept[len(kept)-recentCounterSets:]
	}
	m.counters = kept
}
