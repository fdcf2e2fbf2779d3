package core

import (
	"testing"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// TestBatchCacheKeepsWithinItsBytes fills the cache past its budget and checks that it
// forgets the oldest batches first and never holds more than its budget.
func TestBatchCacheKeepsWithinItsBytes(t *testing.T) {
	c := NewBatchCache(1000)
	for ts := range int64(100) {
		c.put(ts, &pb.StoredBatch{TimestampMicros: ts}, 90)
		if c.bytes > 1000 {
			t.Fatalf("after %d puts the cache holds %d bytes", ts+1, c.bytes)
		}
		if c.get(ts) == nil {
			t.Fatalf("batch %d not cached right after put", ts)
		}
	}
	for ts := range int64(100) {
		if kept := c.get(ts) != nil; kept != (ts >= 89) {
			t.Errorf("batch %d kept=%v: want the 11 newest kept", ts, kept)
		}
	}
	c.put(500, &pb.StoredBatch{}, 1001) // larger than the whole budget: not cached
	if c.get(500) != nil {
		t.Error("a batch larger than the budget was cached")
	}
	if len(c.fifo)-c.head != len(c.m) {
		t.Errorf("queue holds %d entries, map %d", len(c.fifo)-c.head, len(c.m))
	}
}
