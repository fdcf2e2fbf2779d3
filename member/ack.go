package member

import (
	"context"
	"errors"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// defaultAckInterval is how often at most a member acknowledges its stream position
// when Config.AckInterval is 0.
const defaultAckInterval = time.Second

// acknowledge runs until ctx ends: after an event is committed to the store (step
// signals ackDue), it signs and sends an acknowledgement of the last committed event,
// at most once per interval, and only when the position moved forward since the last
// one that was sent. The sequencer nodes may prune what every member acknowledged.
func (r *Runtime[M, S]) acknowledge(ctx context.Context, interval time.Duration) {
	acked := int64(-1)
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.ackDue:
		}
		r.mu.Lock()
		counter, ts := r.next-1, r.lastTS
		r.mu.Unlock()
		if counter > acked {
			err := r.client.AcknowledgeEvent(ctx, counter, ts)
			switch {
			case err == nil:
				acked = counter
			case ctx.Err() != nil:
				return
			case status.Code(err) == codes.InvalidArgument || status.Code(err) == codes.AlreadyExists || status.Code(err) == codes.PermissionDenied:
				// Refused by the chain (its reason says why, e.g. another node already
				// recorded a later one): the next event acknowledges again.
				r.log.Debug("acknowledgement refused", "counter", counter, "err", err)
				acked = counter
			case !errors.Is(err, context.Canceled):
				r.log.Warn("acknowledgement failed", "counter", counter, "err", err)
			}
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// ackDueLocked tells the acknowledger that an event was committed; the caller holds the
// lock.
func (r *Runtime[M, S]) ackDueLocked() {
	select {
	case r.ackDue <- struct{}{}:
	default:
	}
}
