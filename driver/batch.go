package driver

import (
	"context"
	"errors"
	"runtime"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// Submissions leave the client through a queue that sender goroutines drain: each takes
// what has queued up while its previous call was in flight and sends it in one SendBatch
// call (one Send when only one is waiting). Under a light load nothing waits, so a
// submission goes out at once; under a heavy one the calls carry many submissions each,
// whose signatures the sequencer verifies together (on all its cores).
const (
	// sendWorkers is how many Send/SendBatch calls may be in flight at once. Two let
	// the sequencer verify one call's signatures (on all its cores) while it admits the
	// other call's submissions to its mempool, one at a time: 256 B to one recipient,
	// 16 600/s with one against 18 600–18 900/s with two (docs/performance.md).
	sendWorkers = 2
	// maxSendBatch and maxSendBatchBytes bound one SendBatch call (the server allows
	// seqapi.MaxSendBatch submissions and gRPC 4 MiB messages).
	maxSendBatch      = 256
	maxSendBatchBytes = 1 << 20
)

var errShortBatchResponse = errors.New("the sequencer answered SendBatch with fewer results than submissions")

// queued is one submission waiting for a sender goroutine.
type queued struct {
	tx   []byte
	done chan error // receives the outcome of the call, once
}

// submitQueued hands tx to the sender goroutine(s) and waits for the call's outcome (the
// raw gRPC error; nil when admitted).
func (c *Client) submitQueued(ctx context.Context, tx []byte) error {
	q := &queued{tx: tx, done: make(chan error, 1)}
	c.startSenders()
	select {
	case c.sendq <- q:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.ctx.Done():
		return ErrClosed
	}
	select {
	case err := <-q.done:
		return err
	case <-ctx.Done():
		return ctx.Err() // the call goes ahead; a duplicate of it is harmless
	case <-c.ctx.Done():
		return ErrClosed
	}
}

// startSenders starts the sendWorkers sender goroutines at the first submission.
func (c *Client) startSenders() {
	c.sendOnce.Do(func() {
		for range sendWorkers {
			go c.sendLoop()
		}
	})
}

// sendLoop sends whatever has queued, in calls of up to maxSendBatch submissions and
// maxSendBatchBytes, until the client closes. A submission that would take a call past
// the byte bound waits for the next call (and one larger than the bound goes alone), so
// that one oversized submission never fails the others with it.
func (c *Client) sendLoop() {
	var carry *queued
	for {
		batch, next, ok := c.nextBatch(carry)
		if !ok {
			return
		}
		carry = next
		c.sendCall(batch)
	}
}

// nextBatch cuts the next call's batch: carry (a submission left over from the previous
// cut) or the next queued submission, then whatever else is queued within the bounds.
// It returns the submission that did not fit, if any; ok is false when the client closed.
func (c *Client) nextBatch(carry *queued) (batch []*queued, next *queued, ok bool) {
	first := carry
	if first == nil {
		select {
		case first = <-c.sendq:
		case <-c.ctx.Done():
			return nil, nil, false
		}
		// Let the goroutines the last call's results woke queue their next submissions
		// before the batch is cut: otherwise, under load, every other call would carry a
		// single submission.
		runtime.Gosched()
	}
	batch, size := []*queued{first}, len(first.tx)
	for len(batch) < maxSendBatch && size < maxSendBatchBytes {
		select {
		case q := <-c.sendq:
			if size+len(q.tx) > maxSendBatchBytes {
				return batch, q, true
			}
			batch, size = append(batch, q), size+len(q.tx)
		default:
			return batch, nil, true
		}
	}
	return batch, nil, true
}

// sendCall sends batch in one call (with failover) and reports each outcome.
func (c *Client) sendCall(batch []*queued) {
	if len(batch) == 1 {
		batch[0].done <- c.call(c.ctx, func(ctx context.Context, e *endpoint) error {
			_, err := e.seq.Send(ctx, &pb.SendRequest{Submission: batch[0].tx})
			return err
		})
		return
	}
	req := &pb.SendBatchRequest{Submissions: make([][]byte, len(batch))}
	for i, q := range batch {
		req.Submissions[i] = q.tx
	}
	var resp *pb.SendBatchResponse
	err := c.call(c.ctx, func(ctx context.Context, e *endpoint) error {
		var err error
		resp, err = e.seq.SendBatch(ctx, req)
		return err
	})
	for i, q := range batch {
		switch {
		case err != nil:
			q.done <- err
		case i < len(resp.Results):
			q.done <- seqapi.ResultError(resp.Results[i])
		default:
			q.done <- errShortBatchResponse
		}
	}
}
