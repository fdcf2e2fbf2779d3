package driver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// SendOptions tune one Send. The zero value uses a random message id and Config.SendTTL.
type SendOptions struct {
	// MessageID identifies the submission for dedupe and its receipt; empty means random.
	// Reusing an id (for example when replaying an outbox) is safe: a submission already
	// sequenced is not sequenced again.
	MessageID string
	// TTL overrides Config.SendTTL.
	TTL time.Duration
	// MaxSequencingTime, when set, is the max sequencing time itself (sequencer time);
	// it overrides TTL. A mediator sends its verdict with the request's deadline, so that
	// a verdict the participants would no longer count is not sequenced at all.
	MaxSequencingTime time.Time
	// TopologyTimestampMicros is the topology snapshot time the recipients were computed at.
	TopologyTimestampMicros int64
}

// Send signs batch as a SubmissionRequest of the member and submits it. It returns an
// error when the sequencer refuses the submission at once (a *SendError with the
// seqapi.Code) or no endpoint takes it; otherwise a Handle that resolves from the
// subscription. Until then the same signed bytes are resubmitted periodically. A
// duplicate refusal counts as success: the submission is already sequenced.
func (c *Client) Send(ctx context.Context, batch *pb.Batch, opts SendOptions) (*Handle, error) {
	return c.send(ctx, batch, opts, false)
}

// SendAndWait sends batch and waits for its outcome: the receipt, or the error the
// handle resolved with.
func (c *Client) SendAndWait(ctx context.Context, batch *pb.Batch, opts SendOptions) (*pb.SequencedEvent, error) {
	h, err := c.Send(ctx, batch, opts)
	if err != nil {
		return nil, err
	}
	return h.Wait(ctx)
}

func (c *Client) send(ctx context.Context, batch *pb.Batch, opts SendOptions, timeProof bool) (*Handle, error) {
	msgID := opts.MessageID
	if msgID == "" {
		msgID = randomID()
	}
	ttl := opts.TTL
	if ttl <= 0 {
		ttl = c.cfg.SendTTL
	}
	maxSeq := time.Now().Add(ttl)
	if !opts.MaxSequencingTime.IsZero() {
		maxSeq = opts.MaxSequencingTime
	}
	h := newHandle(msgID, maxSeq)
	h.timeProof = timeProof
	tx, err := c.sign(&pb.SubmissionRequest{
		Sender: c.cfg.Member, MessageId: msgID, Batch: batch,
		MaxSequencingTimeMicros: h.maxSeqMicros, TopologyTimestampMicros: opts.TopologyTimestampMicros,
	})
	if err != nil {
		return nil, err
	}
	if err := c.register(h); err != nil {
		return nil, err
	}
	if err := c.submit(ctx, tx); err != nil {
		c.unregister(h)
		return nil, err
	}
	go c.resubmit(h, tx)
	return h, nil
}

func (c *Client) sign(req *pb.SubmissionRequest) ([]byte, error) {
	reqBytes, err := req.Marshal()
	if err != nil {
		return nil, fmt.Errorf("marshal submission request: %w", err)
	}
	signed := &pb.SignedSubmission{
		Request:    reqBytes,
		Signature:  c.cfg.SigningKey.Sign(crypto.PurposeSubmissionRequest, reqBytes),
		SigningKey: c.cfg.SigningKey.Fingerprint().String(),
	}
	return signed.Marshal()
}

// submit sends tx once (with failover; batched with other submissions waiting at the
// same time). A duplicate refusal is success.
func (c *Client) submit(ctx context.Context, tx []byte) error {
	err := c.submitQueued(ctx, tx)
	if err == nil {
		return nil
	}
	if refused, ok := submissionOutcome(err); ok {
		return refused
	}
	return err
}

// submissionOutcome interprets a Send error that carries the sequencer's verdict on the
// submission: nil for a duplicate (already sequenced), else a *SendError; ok is false
// for errors that say nothing about the submission (transport, unavailable).
func submissionOutcome(err error) (refused error, ok bool) {
	code, ok := seqapi.SubmissionCode(err)
	switch {
	case !ok:
		return nil, false
	case code == seqapi.CodeDuplicate:
		return nil, true
	}
	return &SendError{Code: code, Err: err}, true
}

func (c *Client) register(h *Handle) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if _, ok := c.pending[h.MessageID]; ok {
		return fmt.Errorf("%w: %q", ErrDuplicateMessageID, h.MessageID)
	}
	c.pending[h.MessageID] = h
	c.expiry.add(h)
	return nil
}

func (c *Client) unregister(h *Handle) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending[h.MessageID] == h {
		delete(c.pending, h.MessageID)
	}
}

// resubmit resends tx every ResubmitInterval until h resolves or the client closes. Past
// the max sequencing time by the local clock it stops resending and sends time proofs
// instead, so that an event sequenced after the max sequencing time resolves h.
func (c *Client) resubmit(h *Handle, tx []byte) {
	t := time.NewTicker(c.cfg.ResubmitInterval)
	defer t.Stop()
	resend := true
	for {
		select {
		case <-h.done:
			return
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		if time.Now().After(h.MaxSequencingTime) {
			if !h.timeProof {
				c.sendTimeProof()
			}
			continue
		}
		if !resend {
			continue
		}
		err := c.submit(c.ctx, tx)
		var se *SendError
		switch {
		case err == nil:
			c.logger.Debug("resubmitted", "message_id", h.MessageID)
		case errors.As(err, &se) && se.Code == seqapi.CodeExpired:
			resend = false
		default:
			c.logger.Warn("resubmission failed", "message_id", h.MessageID, "err", err)
		}
	}
}

// SubmitSigned submits tx, a SignedSubmission signed elsewhere (for example by a
// signing service, or ahead of time by a load generator), once: it returns when the
// sequencer has admitted or refused it. Unlike Send it neither follows the receipt nor
// resubmits; the caller watches its stream and sends again if needed (a duplicate of a
// sequenced submission is refused harmlessly).
func (c *Client) SubmitSigned(ctx context.Context, tx []byte) error {
	return c.submit(ctx, tx)
}

// sendTimeProof is RequestTimeProof for the resubmission loop, which only logs failures.
func (c *Client) sendTimeProof() {
	if err := c.RequestTimeProof(c.ctx); err != nil {
		c.logger.Warn("time proof failed", "err", err)
	}
}

// RequestTimeProof sends an empty batch to the member itself, at most once per
// ResubmitInterval (it returns nil without sending within that interval). Its receipt
// carries the sequencer's time of then: a member uses it to see time pass when no one
// sends it anything (a mediator's decision times), or to get an event sequenced after
// the height it started at (to know it has caught up).
func (c *Client) RequestTimeProof(ctx context.Context) error {
	c.mu.Lock()
	if !c.lastTimeProof.IsZero() && time.Since(c.lastTimeProof) < c.cfg.ResubmitInterval {
		c.mu.Unlock()
		return nil
	}
	c.lastTimeProof = time.Now()
	c.timeProofID++
	id := fmt.Sprintf("time-proof-%s-%d", randomID()[:8], c.timeProofID)
	c.mu.Unlock()
	_, err := c.send(ctx, &pb.Batch{}, SendOptions{MessageID: id, TTL: c.cfg.SendTTL}, true)
	return err
}

// observe resolves pending handles from one in-order event of the subscription.
func (c *Client) observe(ev *pb.SequencedEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seqTime = max(c.seqTime, ev.TimestampMicros)
	if h := c.pending[ev.MessageId]; ev.MessageId != "" && h != nil {
		delete(c.pending, ev.MessageId)
		if ev.Kind == pb.EventKind_EVENT_KIND_DELIVER {
			h.resolve(ev, nil)
		} else {
			h.resolve(nil, &DeliverError{Event: ev})
		}
	}
	for _, h := range c.expiry.popExpired(ev.TimestampMicros) {
		if c.pending[h.MessageID] != h {
			continue // resolved earlier, or replaced
		}
		delete(c.pending, h.MessageID)
		h.resolve(nil, fmt.Errorf("%w: message %q, max sequencing time %d, sequencer time %d", ErrExpired, h.MessageID, h.maxSeqMicros, ev.TimestampMicros))
	}
}

// SequencerTimeMicros returns the highest event timestamp the subscription has seen.
func (c *Client) SequencerTimeMicros() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seqTime
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Deadline is what a member waits for in sequencer time: the earliest deadline of its
// pending work (pending false when there is none), the timestamp of the last event it
// applied, and whether it has caught up with the chain (it sends only then).
type Deadline struct {
	At, Seen      int64
	Pending, Live bool
}

// WatchDeadlines requests a time proof whenever the wall clock has passed the deadline
// that next reports and no event has shown the sequencer past it yet: the proof's
// receipt carries a later timestamp, which lets the member time its work out at an
// event, on sequencer time. The clock only decides when to ask. It returns when ctx
// ends; next is called every 250 ms and must be safe to call from this goroutine.
func (c *Client) WatchDeadlines(ctx context.Context, next func() Deadline) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			d := next()
			if !d.Pending || !d.Live || d.Seen > d.At || now.UnixMicro() <= d.At {
				continue
			}
			if err := c.RequestTimeProof(ctx); err != nil && ctx.Err() == nil { // at most one per resubmit interval
				c.logger.Warn("time proof", "err", err)
			}
		}
	}
}
