package core

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// ReadEvents returns up to limit events of member's stream starting at counter from,
// with each delivery cut down to the envelopes addressed to member. It is what the
// sequencer API serves; the result is the same on every validator.
func ReadEvents(r Reader, member string, from int64, limit int) ([]*pb.SequencedEvent, error) {
	return ReadEventsCached(r, nil, member, from, limit)
}

// ReadEventsCached is ReadEvents with decoded batches kept in cache (nil: none beyond
// this call), so that the subscribers a batch goes to load and decode it once. The events
// share the cached envelopes: callers must not modify them.
func ReadEventsCached(r Reader, cache *BatchCache, member string, from int64, limit int) ([]*pb.SequencedEvent, error) {
	if from < 0 {
		return nil, fmt.Errorf("counter %d is negative", from)
	}
	if limit <= 0 {
		return nil, nil
	}
	var out []*pb.SequencedEvent
	if cache == nil {
		cache = NewBatchCache(callCacheBytes)
	}
	prefix := PrefixEvents(member)
	err := r.Iterate(prefix, KeyEvent(member, from), func(key, value []byte) (bool, error) {
		first, refs, err := decodeEventRecord(prefix, key, value)
		if err != nil {
			return false, err
		}
		for i, ref := range refs {
			counter := first + int64(i)
			if counter < from {
				continue
			}
			ev, err := buildEvent(r, cache, counter, ref)
			if err != nil {
				return false, err
			}
			out = append(out, ev)
			if len(out) >= limit {
				return false, nil
			}
		}
		return true, nil
	})
	return out, err
}

// decodeEventRecord decodes a stream record (key under prefix) and returns the counter of
// its first entry with the entries.
func decodeEventRecord(prefix, key, value []byte) (first int64, refs []*pb.EventRef, err error) {
	if len(key) != len(prefix)+8 {
		return 0, nil, fmt.Errorf("corrupt stream record key %x", key)
	}
	last := int64(binary.BigEndian.Uint64(key[len(prefix):]))
	var rec pb.EventRefs
	if err := rec.Unmarshal(value); err != nil {
		return 0, nil, fmt.Errorf("stream record ending at %d: %w", last, err)
	}
	if len(rec.Refs) == 0 || int64(len(rec.Refs)) > last+1 {
		return 0, nil, fmt.Errorf("stream record ending at %d holds %d entries", last, len(rec.Refs))
	}
	return last - int64(len(rec.Refs)) + 1, rec.Refs, nil
}

// RemoveEvent returns the writes that take entry counter out of member's stream, keeping
// the entries around it: tools and tests use it to show readers a gap, as a faulty or
// pruned node would. No writes: the stream has no such entry.
func RemoveEvent(r Reader, member string, counter int64) ([]Write, error) {
	prefix := PrefixEvents(member)
	var ws []Write
	err := r.Iterate(prefix, KeyEvent(member, counter), func(key, value []byte) (bool, error) {
		first, refs, err := decodeEventRecord(prefix, key, value)
		if err != nil || counter < first {
			return false, err
		}
		i := int(counter - first)
		ws = append(ws, Write{Key: bytes.Clone(key), Delete: true})
		if i > 0 {
			ws = append(ws, Write{Key: KeyEvent(member, counter-1), Value: mustMarshal(&pb.EventRefs{Refs: refs[:i]})})
		}
		if i < len(refs)-1 {
			ws = append(ws, Write{Key: bytes.Clone(key), Value: mustMarshal(&pb.EventRefs{Refs: refs[i+1:]})})
		}
		return false, nil
	})
	return ws, err
}

func buildEvent(r Reader, batches *BatchCache, counter int64, ref *pb.EventRef) (*pb.SequencedEvent, error) {
	ev := &pb.SequencedEvent{
		Counter: counter, TimestampMicros: ref.TimestampMicros, Height: ref.Height, Kind: ref.Kind,
		MessageId: ref.MessageId, ErrorCode: ref.ErrorCode, ErrorReason: ref.ErrorReason,
	}
	if ref.Kind != pb.EventKind_EVENT_KIND_DELIVER {
		return ev, nil
	}
	b, err := loadBatch(r, batches, ref.TimestampMicros)
	if err != nil {
		return nil, err
	}
	ev.Sender, ev.Batch = b.Sender, &pb.Batch{}
	for _, i := range ref.EnvelopeIndexes {
		if b.Batch == nil || int(i) >= len(b.Batch.Envelopes) {
			return nil, fmt.Errorf("stored event %d names envelope %d of a batch without it", counter, i)
		}
		ev.Batch.Envelopes = append(ev.Batch.Envelopes, b.Batch.Envelopes[i])
	}
	return ev, nil
}

func loadBatch(r Reader, cache *BatchCache, ts int64) (*pb.StoredBatch, error) {
	if b := cache.get(ts); b != nil {
		return b, nil
	}
	v, err := r.Get(KeyBatch(ts))
	if err != nil {
		return nil, fmt.Errorf("batch at %d: %w", ts, err)
	}
	var b pb.StoredBatch
	if err := b.Unmarshal(v); err != nil {
		return nil, fmt.Errorf("stored batch at %d: %w", ts, err)
	}
	cache.put(ts, &b, len(v))
	return &b, nil
}

// callCacheBytes bounds the batches one ReadEvents call without a cache keeps.
const callCacheBytes = 64 << 20

// BatchCache keeps the most recently loaded batches, decoded, up to a total encoded size.
// A committed batch never changes (its key, the sequencing time, is unique), so entries
// need no invalidation; the cache forgets the oldest first. It is safe for concurrent use.
type BatchCache struct {
	mu       sync.Mutex
	m        map[int64]*pb.StoredBatch
	fifo     []cachedBatch // insertion order; fifo[head:] are in m
	head     int
	bytes    int
	maxBytes int
}

type cachedBatch struct {
	ts   int64
	size int
}

// SequencedBatch is a batch as a block stored it, decoded, with its encoded size.
type SequencedBatch struct {
	Stored *pb.StoredBatch
	Size   int
}

// Add puts batches just committed in the cache, so that readers find them without
// reading and decoding them again. Each must be exactly what is stored under its
// timestamp (Outcome.Batches is); the cache shares them with its readers.
func (c *BatchCache) Add(batches []SequencedBatch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range batches {
		c.putLocked(b.Stored.TimestampMicros, b.Stored, b.Size)
	}
}

// NewBatchCache returns a cache holding up to maxBytes of encoded batches.
func NewBatchCache(maxBytes int) *BatchCache {
	return &BatchCache{m: make(map[int64]*pb.StoredBatch), maxBytes: maxBytes}
}

func (c *BatchCache) get(ts int64) *pb.StoredBatch {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[ts]
}

func (c *BatchCache) put(ts int64, b *pb.StoredBatch, size int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(ts, b, size)
}

func (c *BatchCache) putLocked(ts int64, b *pb.StoredBatch, size int) {
	if _, ok := c.m[ts]; ok || size > c.maxBytes {
		return
	}
	for c.bytes+size > c.maxBytes {
		old := c.fifo[c.head]
		delete(c.m, old.ts)
		c.bytes -= old.size
		c.head++
	}
	if c.head > len(c.fifo)/2 {
		c.fifo = append(c.fifo[:0], c.fifo[c.head:]...)
		c.head = 0
	}
	c.fifo = append(c.fifo, cachedBatch{ts: ts, size: size})
	c.m[ts] = b
	c.bytes += size
}

// NextCounter returns the counter the member's next event will get (its stream length).
func NextCounter(r Reader, member string) (int64, error) {
	b, err := r.Get(KeyCounter(member))
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var c pb.MemberCounter
	if err := c.Unmarshal(b); err != nil {
		return 0, err
	}
	return c.Next, nil
}
