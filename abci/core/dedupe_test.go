package core_test

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/cometsync/cometsync/abci/core"
)

// TestDedupeEntriesArePruned checks that dedupe entries leave the state once their max
// sequencing time is before the block time, and that reusing an id in the block that prunes
// its old entry keeps the new one.
func TestDedupeEntriesArePruned(t *testing.T) {
	f := stdFixture(t)
	alice, bob := f.id("PAR::alice"), f.id("PAR::bob")
	x := f.newReplica(t)
	x.exec(t0,
		f.sign(request(alice, "m1", t0+100, envelope("1", to(bob)))),
		f.sign(request(alice, "m2", t0+300, envelope("2", to(bob)))))
	present := func(key []byte) (int64, bool) {
		v, err := x.r.Get(key)
		if errors.Is(err, core.ErrNotFound) {
			return 0, false
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(v) == 8 {
			return int64(binary.BigEndian.Uint64(v)), true
		}
		return 0, true
	}
	expectEntry := func(msgID string, exp int64, want bool) {
		t.Helper()
		got, ok := present(core.KeyDedupeForTest(alice, msgID))
		if ok != want || (want && got != exp) {
			t.Fatalf("dedupe entry %s: present %v expiry %d, want present %v expiry %d", msgID, ok, got, want, exp)
		}
		if _, ok := present(core.KeyExpiryForTest(exp, alice, msgID)); ok != want {
			t.Fatalf("expiry index of %s at %d: present %v, want %v", msgID, exp, ok, want)
		}
	}
	expectEntry("m1", t0+100, true)
	expectEntry("m2", t0+300, true)

	x.exec(t0 + 100) // expiry == block time: still kept
	expectEntry("m1", t0+100, true)

	// m1 expired: pruned, and reused in the same block with a new expiry.
	out := x.exec(t0+101, f.sign(request(alice, "m1", t0+500, envelope("1 again", to(bob)))))
	if out.TxResults[0].Code != core.CodeOK {
		t.Fatalf("reuse of m1: %+v", out.TxResults[0])
	}
	if _, ok := present(core.KeyExpiryForTest(t0+100, alice, "m1")); ok {
		t.Fatal("old expiry index of m1 not pruned")
	}
	expectEntry("m1", t0+500, true)
	expectEntry("m2", t0+300, true)

	x.exec(t0 + 1000)
	expectEntry("m1", t0+500, false)
	expectEntry("m2", t0+300, false)
	if got := len(x.events(bob)); got != 3 {
		t.Fatalf("bob has %d events, want 3", got)
	}
}
