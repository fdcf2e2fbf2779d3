package driver

import (
	"slices"
	"testing"

	"github.com/cometsync/cometsync/crypto"
)

// TestNextBatchKeepsWithinBounds queues submissions of various sizes and checks how they
// are cut into calls: in order, never past maxSendBatchBytes unless one submission alone
// is larger (it then goes alone), never more than maxSendBatch.
func TestNextBatchKeepsWithinBounds(t *testing.T) {
	key, err := crypto.GenerateSigningKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Endpoints, cfg.Member, cfg.SigningKey = []string{"127.0.0.1:1"}, "PAR::a::"+string(key.Fingerprint()), key
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const kib = 1 << 10
	sizes := []int{900 * kib, 3500 * kib, 900 * kib, 100 * kib, 50 * kib}
	for range maxSendBatch + 10 {
		sizes = append(sizes, 1)
	}
	c.sendq = make(chan *queued, len(sizes))
	for i, n := range sizes {
		tx := make([]byte, n)
		tx[0] = byte(i)
		c.sendq <- &queued{tx: tx}
	}
	var cuts [][]int
	var carry *queued
	for len(c.sendq) > 0 || carry != nil {
		batch, next, ok := c.nextBatch(carry)
		if !ok {
			t.Fatal("client closed")
		}
		carry = next
		var cut []int
		total := 0
		for _, q := range batch {
			cut = append(cut, len(q.tx))
			total += len(q.tx)
		}
		if len(batch) > maxSendBatch || (len(batch) > 1 && total > maxSendBatchBytes) {
			t.Fatalf("batch of %d submissions, %d bytes", len(batch), total)
		}
		cuts = append(cuts, cut)
	}
	want := [][]int{{900 * kib}, {3500 * kib}, {900 * kib, 100 * kib}}
	if len(cuts) < 4 || !slices.EqualFunc(cuts[:3], want, slices.Equal) {
		t.Fatalf("cuts %v..., want %v first", sizesOf(cuts), sizesOf(want))
	}
	var flat []int
	for _, cut := range cuts {
		flat = append(flat, cut...)
	}
	if !slices.Equal(flat, sizes) {
		t.Fatal("submissions reordered or lost across the cuts")
	}
}

func sizesOf(cuts [][]int) [][]int {
	return cuts[:min(3, len(cuts))]
}
