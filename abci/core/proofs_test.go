package core_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/cometsync/cometsync/abci/core"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqproof"
)

// proofBlocks are blocks with deliveries to several members, an error, an empty block
// and a block of a single member.
func proofBlocks(f *fixture) [][][]byte {
	alice, bob, carol := f.id("PAR::alice"), f.id("PAR::bob"), f.id("PAR::carol")
	return [][][]byte{
		{
			f.sign(request(alice, "1", t0+500, envelope("a", to(bob)), envelope("b", allMembers))),
			f.sign(request(bob, "1", t0+500, envelope("c", mediators(0), to(carol)))),
			f.sign(request(carol, "1", t0+500, envelope("d", to(memberID("PAR::zed"))))),
		},
		{f.sign(request(alice, "1", t0+500, envelope("dup", to(bob))))},
		{},
		{f.sign(request(bob, "2", t0+900, envelope("e", sequencers, to(alice)), envelope("f", to(carol))))},
	}
}

// TestEventProofsVerify proves every event of every member's stream and checks each proof
// with seqproof against the app hash of the event's block; a tampered event fails.
func TestEventProofsVerify(t *testing.T) {
	f := stdFixture(t)
	x := f.newReplica(t)
	appHash := map[int64][]byte{}
	for i, txs := range proofBlocks(f) {
		o := x.exec(t0+int64(i), txs...)
		appHash[o.Meta.Height] = o.Meta.AppHash
	}
	proved := 0
	for _, m := range f.members {
		for _, ev := range x.events(m) {
			p, err := core.ProveEvent(x.r, m, ev.Counter)
			if err != nil {
				t.Fatalf("ProveEvent(%s, %d): %v", short(m), ev.Counter, err)
			}
			if err := seqproof.VerifyEvent(m, ev, p, appHash[ev.Height]); err != nil {
				t.Fatalf("event %d of %s: %v", ev.Counter, short(m), err)
			}
			proved++
			if ev.Batch == nil || len(ev.Batch.Envelopes) == 0 {
				continue
			}
			forged := &pb.SequencedEvent{}
			if err := forged.Unmarshal(mustMarshal(ev)); err != nil {
				t.Fatal(err)
			}
			forged.Batch.Envelopes[0].Content = append(forged.Batch.Envelopes[0].Content, '!')
			if err := seqproof.VerifyEvent(m, forged, p, appHash[ev.Height]); !errors.Is(err, seqproof.ErrLeafMismatch) {
				t.Fatalf("altered event %d of %s: %v, want ErrLeafMismatch", ev.Counter, short(m), err)
			}
		}
	}
	if proved < 10 {
		t.Fatalf("proved only %d events", proved)
	}
	if _, err := core.ProveEvent(x.r, f.id("PAR::alice"), 1000); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("proof of an event past the head: %v", err)
	}
}

// TestStreamHeadProofs proves every member's stream length at the committed height and at
// the heights before it the machine keeps, against those heights' app hashes.
func TestStreamHeadProofs(t *testing.T) {
	f := stdFixture(t)
	x := f.newReplica(t)
	type state struct {
		appHash []byte
		next    map[string]int64
	}
	states := map[int64]state{}
	for i, txs := range proofBlocks(f) {
		o := x.exec(t0+int64(i), txs...)
		st := state{appHash: o.Meta.AppHash, next: map[string]int64{}}
		for _, m := range f.members {
			st.next[m] = int64(len(x.events(m)))
		}
		states[o.Meta.Height] = st
	}
	absent := 0
	// Streams that have no event: before, between and after the members.
	others := []string{"A", memberID("PAR::alice") + "0", "ZZZ"}
	for h, st := range states {
		for _, m := range append(slices.Clone(f.members), others...) {
			r, err := f.m.ProveStreamHeadAt(x.r, m, h)
			if err != nil {
				t.Fatalf("ProveStreamHeadAt(%s, %d): %v", short(m), h, err)
			}
			if err := seqproof.VerifyStreamHead(m, r, st.appHash); err != nil {
				t.Fatalf("head of %s at %d: %v", short(m), h, err)
			}
			if r.NextCounter != st.next[m] || r.Absent != (st.next[m] == 0) {
				t.Fatalf("head of %s at %d: %d (absent %v), stream has %d", short(m), h, r.NextCounter, r.Absent, st.next[m])
			}
			if r.Absent {
				absent++
			}
		}
	}
	if absent == 0 {
		t.Fatal("no absent member was proved absent")
	}
	last := int64(len(states))
	alice := f.id("PAR::alice")
	r, err := core.ProveStreamHead(x.r, alice)
	if err != nil || r.Height != last {
		t.Fatalf("ProveStreamHead: %+v, %v", r, err)
	}
	if err := seqproof.VerifyStreamHead(alice, r, states[last].appHash); err != nil {
		t.Fatal(err)
	}
	// A node that hides the last event of alice's stream cannot prove it.
	r.NextCounter--
	if err := seqproof.VerifyStreamHead(alice, r, states[last].appHash); !errors.Is(err, seqproof.ErrLeafMismatch) {
		t.Fatalf("shortened head: %v", err)
	}
	if _, err := f.m.ProveStreamHeadAt(x.r, alice, last+1); !errors.Is(err, core.ErrNotProvable) {
		t.Fatalf("head at a future height: %v", err)
	}
}

// TestCountersRootSurvivesReload checks that the counters root a machine keeps across
// blocks is the one derived from state: a machine loaded from the state (a restart or a
// state-sync restore) and one that never saw the blocks execute the next block to the same
// outcome as the machine that ran them all, and two machines running the same blocks agree.
func TestCountersRootSurvivesReload(t *testing.T) {
	f := stdFixture(t)
	blocks := proofBlocks(f)
	a := f.newReplica(t)
	other := core.NewMachine(f.g)
	b := core.NewMemReader()
	b.Apply(core.InitGenesis(f.g))
	for i, txs := range blocks[:3] {
		o := a.exec(t0+int64(i), txs...)
		ob, err := other.Execute(b, core.Block{Height: int64(i + 1), TimeMicros: t0 + int64(i), Txs: txs})
		if err != nil {
			t.Fatal(err)
		}
		b.Apply(ob.Writes)
		other.Adopt(ob)
		if err := sameOutcome(o, ob); err != nil {
			t.Fatalf("block %d: machines differ: %v", i+1, err)
		}
	}
	loaded, err := core.LoadMachine(a.r)
	if err != nil {
		t.Fatal(err)
	}
	next := core.Block{Height: 4, TimeMicros: t0 + 3, Txs: blocks[3]}
	want, err := f.m.Execute(a.r, next)
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]*core.Machine{"loaded": loaded, "fresh": core.NewMachine(f.g), "other": other} {
		got, err := m.Execute(a.r, next)
		if err != nil {
			t.Fatal(err)
		}
		if err := sameOutcome(want, got); err != nil {
			t.Fatalf("%s machine: %v", name, err)
		}
		if !bytes.Equal(got.Inputs.CountersRoot, want.Inputs.CountersRoot) {
			t.Fatalf("%s machine: counters root differs", name)
		}
	}
}
