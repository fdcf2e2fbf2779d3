package core_test

import (
	"fmt"
	"testing"

	"github.com/cometsync/cometsync/abci/core"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// streamFixture commits 3 blocks in which alice sends 150, 1 and 70 batches to bob, so
// that bob's stream has records split at 64 entries within a block and records of
// different blocks next to each other.
func streamFixture(t *testing.T) (*replica, string, string) {
	t.Helper()
	f := stdFixture(t)
	x := f.newReplica(t)
	alice, bob := f.id("PAR::alice"), f.id("PAR::bob")
	n := 0
	for h, count := range []int{150, 1, 70} {
		var txs [][]byte
		for range count {
			txs = append(txs, f.sign(request(alice, fmt.Sprint(n), 5_000, envelope(fmt.Sprint(n), to(bob)))))
			n++
		}
		x.exec(int64(100+h*10), txs...)
	}
	return x, alice, bob
}

// TestStreamReadsFromEveryCounter reads bob's stream from every counter with several
// limits and checks that each read returns the right consecutive entries, wherever it
// starts or stops within a record.
func TestStreamReadsFromEveryCounter(t *testing.T) {
	x, _, bob := streamFixture(t)
	all := x.events(bob)
	if len(all) != 221 {
		t.Fatalf("bob has %d events, want 221", len(all))
	}
	for i, ev := range all {
		if ev.Counter != int64(i) || contents(ev)[0] != fmt.Sprint(i) {
			t.Fatalf("event %d: counter %d, contents %v", i, ev.Counter, contents(ev))
		}
	}
	for from := range int64(len(all) + 2) {
		for _, limit := range []int{1, 7, 64, 1000} {
			got, err := core.ReadEvents(x.r, bob, from, limit)
			if err != nil {
				t.Fatal(err)
			}
			want := all[min(int(from), len(all)):min(int(from)+limit, len(all))]
			if len(got) != len(want) {
				t.Fatalf("from %d limit %d: %d events, want %d", from, limit, len(got), len(want))
			}
			for i := range got {
				if !sameMsg(got[i], want[i]) {
					t.Fatalf("from %d limit %d: event %d differs", from, limit, i)
				}
			}
		}
	}
}

// TestRemoveEvent takes entries out at the start, inside and at the end of records and
// checks that exactly they are missing afterwards.
func TestRemoveEvent(t *testing.T) {
	x, _, bob := streamFixture(t)
	removed := map[int64]bool{0: true, 5: true, 63: true, 64: true, 150: true, 220: true}
	for c := range removed {
		ws, err := core.RemoveEvent(x.r, bob, c)
		if err != nil {
			t.Fatal(err)
		}
		if len(ws) == 0 {
			t.Fatalf("no writes to remove entry %d", c)
		}
		x.r.Apply(ws)
	}
	if ws, err := core.RemoveEvent(x.r, bob, 5); err != nil || len(ws) != 0 {
		t.Fatalf("removing entry 5 again: %d writes, %v", len(ws), err)
	}
	var got []int64
	evs, err := core.ReadEvents(x.r, bob, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if removed[ev.Counter] {
			t.Errorf("removed entry %d still read", ev.Counter)
		}
		if contents(ev)[0] != fmt.Sprint(ev.Counter) {
			t.Errorf("entry %d has contents %v", ev.Counter, contents(ev))
		}
		got = append(got, ev.Counter)
	}
	if len(got) != 221-len(removed) {
		t.Fatalf("%d entries left, want %d", len(got), 221-len(removed))
	}
	if from65, _ := core.ReadEvents(x.r, bob, 63, 2); len(from65) != 2 || from65[0].Counter != 65 || from65[1].Counter != 66 {
		t.Fatalf("reading from 63 after removing 63 and 64: %v", from65)
	}
}

// TestCorruptEventRecord checks that a record that cannot be decoded is reported, not
// served as an empty stream.
func TestCorruptEventRecord(t *testing.T) {
	x, _, bob := streamFixture(t)
	x.r.Apply([]core.Write{{Key: core.KeyEvent(bob, 10), Value: []byte{0x0a, 0xff}}})
	if _, err := core.ReadEvents(x.r, bob, 0, 1000); err == nil {
		t.Fatal("a corrupt record was read without an error")
	}
	x.r.Apply([]core.Write{{Key: core.KeyEvent(bob, 10), Value: mustMarshal(&pb.EventRefs{})}})
	if _, err := core.ReadEvents(x.r, bob, 0, 1000); err == nil {
		t.Fatal("an empty record was read without an error")
	}
}
