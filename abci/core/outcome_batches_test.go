package core_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/cometsync/cometsync/abci/core"
)

// TestOutcomeBatchesAreWhatIsStored checks that the decoded batches an outcome carries
// (which the node puts in the subscriptions' cache at Commit) encode to exactly the bytes
// the block stores under their timestamps, one per delivered submission, in order.
func TestOutcomeBatchesAreWhatIsStored(t *testing.T) {
	f := stdFixture(t)
	x := f.newReplica(t)
	alice, bob, carol := f.id("PAR::alice"), f.id("PAR::bob"), f.id("PAR::carol")
	var txs [][]byte
	for i := range 5 {
		txs = append(txs, f.sign(request(alice, fmt.Sprintf("m%d", i), 5_000, envelope(fmt.Sprint(i), to(bob), to(carol)), envelope("x", to(carol)))))
	}
	txs = append(txs, f.sign(request(alice, "m0", 5_000, envelope("dup", to(bob))))) // refused: not stored
	out := x.exec(100, txs...)
	stored := make(map[string][]byte)
	for _, w := range out.Writes {
		stored[string(w.Key)] = w.Value
	}
	if len(out.Batches) != 5 {
		t.Fatalf("outcome carries %d batches, want the 5 delivered", len(out.Batches))
	}
	last := int64(0)
	for i, b := range out.Batches {
		enc, err := b.Stored.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		want, ok := stored[string(core.KeyBatch(b.Stored.TimestampMicros))]
		if !ok || !bytes.Equal(enc, want) || b.Size != len(want) {
			t.Fatalf("batch %d (ts %d): stored %v, encoding equal %v, size %d of %d", i, b.Stored.TimestampMicros, ok, bytes.Equal(enc, want), b.Size, len(want))
		}
		if b.Stored.TimestampMicros <= last || b.Stored.MessageId != fmt.Sprintf("m%d", i) {
			t.Fatalf("batch %d: ts %d after %d, message id %q", i, b.Stored.TimestampMicros, last, b.Stored.MessageId)
		}
		last = b.Stored.TimestampMicros
	}
}

// countingReader counts the batch records read through it.
type countingReader struct {
	core.Reader
	batchGets int
}

func (r *countingReader) Get(key []byte) ([]byte, error) {
	if len(key) > 0 && key[0] == core.KeyBatch(0)[0] {
		r.batchGets++
	}
	return r.Reader.Get(key)
}

// TestCachedOutcomeBatchesServeReads fills a cache from the outcomes, as the node does at
// Commit, and checks that reads then serve the same events without reading any batch.
func TestCachedOutcomeBatchesServeReads(t *testing.T) {
	f := stdFixture(t)
	x := f.newReplica(t)
	alice, bob := f.id("PAR::alice"), f.id("PAR::bob")
	cache := core.NewBatchCache(1 << 20)
	for h := range int64(3) {
		var txs [][]byte
		for i := range 4 {
			txs = append(txs, f.sign(request(alice, fmt.Sprintf("%d-%d", h, i), 5_000, envelope(fmt.Sprint(i), to(bob)))))
		}
		cache.Add(x.exec(100+h*10, txs...).Batches)
	}
	for _, member := range []string{alice, bob} {
		r := &countingReader{Reader: x.r}
		got, err := core.ReadEventsCached(r, cache, member, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		want := x.events(member)
		if len(got) != 12 || len(got) != len(want) {
			t.Fatalf("%s: %d events from the cache, %d from the store, want 12", short(member), len(got), len(want))
		}
		for i := range want {
			if !sameMsg(got[i], want[i]) {
				t.Fatalf("%s event %d differs: %v against %v", short(member), i, got[i], want[i])
			}
		}
		if r.batchGets != 0 {
			t.Errorf("%s: %d batches read from the store, want none", short(member), r.batchGets)
		}
	}
}
