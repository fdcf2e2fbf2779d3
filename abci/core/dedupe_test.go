package core_test

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/seqapi"
)

// TestDedupeEntriesArePruned checks that a block's dedupe entries are recorded in one
// expiry record under the latest of their max sequencing times, that the block after
// that time removes the expired entries and the record, that an expired entry still in
// the state does not refuse its message id, and that an entry renewed by a later use of
// the id outlives the old record.
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
	}
	expectRecord := func(exp, height int64, want bool) {
		t.Helper()
		if _, ok := present(core.KeyExpiryRecordForTest(exp, height)); ok != want {
			t.Fatalf("expiry record of block %d at %d: present %v, want %v", height, exp, ok, want)
		}
	}
	expectEntry("m1", t0+100, true)
	expectEntry("m2", t0+300, true)
	expectRecord(t0+300, 1, true)
	expectRecord(t0+100, 1, false)

	x.exec(t0 + 100) // block 2
	expectEntry("m1", t0+100, true)

	// Block 3: m1 has expired (its entry stays until the record's time) and is reused.
	out := x.exec(t0+101, f.sign(request(alice, "m1", t0+500, envelope("1 again", to(bob)))))
	if out.TxResults[0].Code != seqapi.CodeOK {
		t.Fatalf("reuse of m1: %+v", out.TxResults[0])
	}
	expectEntry("m1", t0+500, true)
	expectRecord(t0+500, 3, true)

	x.exec(t0 + 300) // block 4: the first record's time is not before the block time
	expectRecord(t0+300, 1, true)
	expectEntry("m2", t0+300, true)

	x.exec(t0 + 301) // block 5: the first record goes, with m2; m1 was renewed
	expectRecord(t0+300, 1, false)
	expectEntry("m2", 0, false)
	expectEntry("m1", t0+500, true)
	out = x.exec(t0+302, f.sign(request(alice, "m1", t0+600, envelope("dup", to(bob)))))
	if out.TxResults[0].Code != seqapi.CodeDuplicate {
		t.Fatalf("m1 within its renewed entry: %+v, want duplicate", out.TxResults[0])
	}

	x.exec(t0 + 1000)
	expectEntry("m1", 0, false)
	expectRecord(t0+500, 3, false)
	if got := len(x.events(bob)); got != 3 {
		t.Fatalf("bob has %d events, want 3", got)
	}
}
