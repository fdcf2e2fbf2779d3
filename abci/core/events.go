package core

import (
	"encoding/binary"
	"errors"
	"fmt"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// ReadEvents returns up to limit events of member's stream starting at counter from,
// with each delivery cut down to the envelopes addressed to member. It is what the
// sequencer API serves; the result is the same on every validator.
func ReadEvents(r Reader, member string, from int64, limit int) ([]*pb.SequencedEvent, error) {
	if from < 0 {
		return nil, fmt.Errorf("counter %d is negative", from)
	}
	if limit <= 0 {
		return nil, nil
	}
	var out []*pb.SequencedEvent
	batches := make(map[int64]*pb.StoredBatch)
	prefix := PrefixEvents(member)
	err := r.Iterate(prefix, KeyEvent(member, from), func(key, value []byte) (bool, error) {
		counter := int64(binary.BigEndian.Uint64(key[len(prefix):]))
		ev, err := buildEvent(r, batches, counter, value)
		if err != nil {
			return false, err
		}
		out = append(out, ev)
		return len(out) < limit, nil
	})
	return out, err
}

func buildEvent(r Reader, batches map[int64]*pb.StoredBatch, counter int64, refBytes []byte) (*pb.SequencedEvent, error) {
	var ref pb.EventRef
	if err := ref.Unmarshal(refBytes); err != nil {
		return nil, fmt.Errorf("stored event %d: %w", counter, err)
	}
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
	ev.Batch = &pb.Batch{}
	for _, i := range ref.EnvelopeIndexes {
		if b.Batch == nil || int(i) >= len(b.Batch.Envelopes) {
			return nil, fmt.Errorf("stored event %d names envelope %d of a batch without it", counter, i)
		}
		ev.Batch.Envelopes = append(ev.Batch.Envelopes, b.Batch.Envelopes[i])
	}
	return ev, nil
}

func loadBatch(r Reader, cache map[int64]*pb.StoredBatch, ts int64) (*pb.StoredBatch, error) {
	if b, ok := cache[ts]; ok {
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
	cache[ts] = &b
	return &b, nil
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
