package core_test

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/seqproof"
)

// sameOutcome fails unless two outcomes are byte-identical.
func sameOutcome(a, b *core.Outcome) error {
	if !sameMsg(a.Meta, b.Meta) {
		return fmt.Errorf("meta %+v vs %+v", a.Meta, b.Meta)
	}
	if !bytes.Equal(a.EventsRoot, b.EventsRoot) {
		return fmt.Errorf("events root %x vs %x", a.EventsRoot, b.EventsRoot)
	}
	if len(a.Writes) != len(b.Writes) {
		return fmt.Errorf("%d writes vs %d", len(a.Writes), len(b.Writes))
	}
	for i := range a.Writes {
		wa, wb := a.Writes[i], b.Writes[i]
		if !bytes.Equal(wa.Key, wb.Key) || !bytes.Equal(wa.Value, wb.Value) || wa.Delete != wb.Delete {
			return fmt.Errorf("write %d: %x=%x (delete %v) vs %x=%x (delete %v)", i, wa.Key, wa.Value, wa.Delete, wb.Key, wb.Value, wb.Delete)
		}
	}
	seen := make(map[string]bool, len(a.Writes))
	for i, w := range a.Writes {
		if seen[string(w.Key)] {
			return fmt.Errorf("write %d: key %x written twice in one outcome", i, w.Key)
		}
		seen[string(w.Key)] = true
	}
	if fmt.Sprint(a.TxResults) != fmt.Sprint(b.TxResults) || fmt.Sprint(a.Deliveries) != fmt.Sprint(b.Deliveries) {
		return fmt.Errorf("results %v / %v vs %v / %v", a.TxResults, a.Deliveries, b.TxResults, b.Deliveries)
	}
	return nil
}

func TestReplicasAgree(t *testing.T) {
	f := stdFixture(t)
	alice, bob, carol := f.id("PAR::alice"), f.id("PAR::bob"), f.id("PAR::carol")
	blocks := [][][]byte{
		{
			f.sign(request(alice, "1", t0+500, envelope("a", to(bob)), envelope("b", allMembers))),
			f.sign(request(bob, "1", t0+500, envelope("c", mediators(0), to(carol)))),
			f.sign(request(carol, "1", t0+500, envelope("d", to(memberID("PAR::zed"))))),
			[]byte("junk"),
		},
		{f.sign(request(alice, "1", t0+500, envelope("dup", to(bob))))},
		{},
		{f.sign(request(bob, "2", t0+900, envelope("e", sequencers, to(alice))))},
	}
	a, b := f.newReplica(t), f.newReplica(t)
	for i, txs := range blocks {
		time := t0 + int64(i)*200
		oa, ob := a.exec(time, txs...), b.exec(time, txs...)
		if err := sameOutcome(oa, ob); err != nil {
			t.Fatalf("block %d: replicas differ: %v", i+1, err)
		}
	}
	// Executing the same block twice over the same state (as a replaying validator does)
	// gives the same outcome: Execute does not mutate its input.
	c := f.newReplica(t)
	blk := core.Block{Height: 1, TimeMicros: t0, Txs: blocks[0]}
	o1, err1 := f.m.Execute(c.r, blk)
	o2, err2 := f.m.Execute(c.r, blk)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if err := sameOutcome(o1, o2); err != nil {
		t.Fatalf("re-execution differs: %v", err)
	}
}

// countersRoot is the counters root the replica's streams give, computed from what the
// members are served: a counter leaf of the stream length of each member with an event,
// members sorted.
func countersRoot(x *replica) []byte {
	members := slices.Clone(x.f.members)
	sort.Strings(members)
	var leaves [][]byte
	for _, m := range members {
		if n := len(x.events(m)); n > 0 {
			leaves = append(leaves, seqproof.CounterLeaf(m, int64(n)))
		}
	}
	return seqproof.CountersRootOf(leaves)
}

func TestAppHashChain(t *testing.T) {
	f := stdFixture(t)
	alice, bob := f.id("PAR::alice"), f.id("PAR::bob")
	txA := f.sign(request(alice, "1", t0+500, envelope("a", to(bob))))
	txB := f.sign(request(alice, "1", t0+500, envelope("b", to(bob))))
	txC := f.sign(request(bob, "1", t0+500, envelope("c", to(alice))))

	hashes := func(blocks ...[][]byte) [][]byte {
		x := f.newReplica(t)
		var out [][]byte
		var prev []byte
		for i, txs := range blocks {
			o := x.exec(t0+int64(i), txs...)
			in := o.Inputs
			if in.Height != o.Meta.Height || !bytes.Equal(in.PrevAppHash, prev) || !bytes.Equal(in.EventsRoot, o.EventsRoot) ||
				!bytes.Equal(in.MembershipRoot, f.m.StateRoot()) || !bytes.Equal(in.CountersRoot, countersRoot(x)) {
				t.Fatalf("block %d app hash inputs %+v, want its height, the previous app hash, its events root, the membership root and the counters root", i+1, in)
			}
			want := crypto.NewHasher(crypto.PurposeAppHash).AddInt64(o.Meta.Height).AddBytes(prev).AddBytes(o.EventsRoot).
				AddBytes(f.m.StateRoot()).AddBytes(in.CountersRoot).Sum()
			if !bytes.Equal(o.Meta.AppHash, want) {
				t.Fatalf("block %d app hash %x, want H(height || prev || events root || membership root || counters root) = %x", i+1, o.Meta.AppHash, want)
			}
			prev = o.Meta.AppHash
			out = append(out, prev)
		}
		return out
	}
	h1 := hashes([][]byte{txA}, nil, [][]byte{txC}, nil)
	for i := 1; i < len(h1); i++ {
		if bytes.Equal(h1[i], h1[i-1]) {
			t.Fatalf("app hash did not change at block %d", i+1)
		}
	}
	// Same later blocks after a different first block: every later hash differs.
	h2 := hashes([][]byte{txB}, nil, [][]byte{txC}, nil)
	for i := range h1 {
		if bytes.Equal(h1[i], h2[i]) {
			t.Fatalf("block %d: app hash does not depend on the history", i+1)
		}
	}
	// Order within a block matters; the same input reproduces the same chain.
	if bytes.Equal(hashes([][]byte{txA, txC})[0], hashes([][]byte{txC, txA})[0]) {
		t.Fatal("app hash does not depend on the order of transactions")
	}
	if h3 := hashes([][]byte{txA}, nil, [][]byte{txC}, nil); !bytes.Equal(h3[3], h1[3]) {
		t.Fatal("the same blocks gave a different app hash")
	}
	// A dropped transaction changes nothing but the height.
	if !bytes.Equal(hashes(nil)[0], hashes([][]byte{[]byte("junk")})[0]) {
		t.Fatal("an undecodable transaction changed the app hash")
	}
	// A different membership gives a different app hash for the same (empty) block.
	g := newFixture(t, smallParams(), "PAR::alice")
	x := g.newReplica(t)
	if bytes.Equal(x.exec(t0).Meta.AppHash, hashes(nil)[0]) {
		t.Fatal("app hash does not depend on the membership")
	}
}
