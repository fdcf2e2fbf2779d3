package driver

import (
	"context"
	"sync"
	"time"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// Handle is the future of one Send. It resolves once, from the client's subscription.
type Handle struct {
	// MessageID is the submission's message id.
	MessageID string
	// MaxSequencingTime is the sequencing time after which the submission is void.
	MaxSequencingTime time.Time

	maxSeqMicros int64
	timeProof    bool
	once         sync.Once
	done         chan struct{}
	receipt      *pb.SequencedEvent
	err          error
}

func newHandle(msgID string, maxSeq time.Time) *Handle {
	return &Handle{MessageID: msgID, MaxSequencingTime: maxSeq, maxSeqMicros: maxSeq.UnixMicro(), done: make(chan struct{})}
}

// Done is closed when the handle resolves.
func (h *Handle) Done() <-chan struct{} { return h.done }

// Result returns the outcome once Done is closed: the receipt (a DELIVER event with the
// message id) or an error: *DeliverError, ErrExpired or ErrClosed. Before that it
// returns ErrNotResolved.
func (h *Handle) Result() (*pb.SequencedEvent, error) {
	select {
	case <-h.done:
		return h.receipt, h.err
	default:
		return nil, ErrNotResolved
	}
}

// Wait blocks until the handle resolves or ctx ends.
func (h *Handle) Wait(ctx context.Context) (*pb.SequencedEvent, error) {
	select {
	case <-h.done:
		return h.receipt, h.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (h *Handle) resolve(receipt *pb.SequencedEvent, err error) {
	h.once.Do(func() {
		h.receipt, h.err = receipt, err
		close(h.done)
	})
}
