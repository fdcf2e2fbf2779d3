package driver

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// Handler receives the events of a subscription, in counter order, one at a time. The
// subscription waits for it to return; an error ends Subscribe with that error. The
// event must not be modified (Send handles may hold it as their receipt).
type Handler func(ctx context.Context, ev *pb.SequencedEvent) error

// eventsPerResponse is how many events the driver asks the server to pack into one
// Subscribe response (SubscribeRequest.max_events_per_response); the server may send
// fewer. Packing saves per-message overhead when a subscriber catches up or events
// arrive in bursts, without changing the order or the per-event checks.
const eventsPerResponse = 256

// responseEvents returns the events one Subscribe response carries, in counter order:
// its events field, or else its single event (nil when the response is empty, which the
// per-event checks reject).
func responseEvents(resp *pb.SubscribeResponse) []*pb.SequencedEvent {
	if evs := resp.GetEvents(); len(evs) > 0 {
		return evs
	}
	return []*pb.SequencedEvent{resp.GetEvent()}
}

// handlerError marks an error returned by the Handler.
type handlerError struct{ err error }

func (e *handlerError) Error() string { return e.err.Error() }
func (e *handlerError) Unwrap() error { return e.err }

// Subscribe follows the member's stream from counter from and calls h for every event,
// in order, exactly once per counter. It reconnects on failure (moving to the next
// endpoint) and resumes at the next expected counter, forever, until ctx ends (it then
// returns ctx.Err()), h fails (its error is returned), the server refuses the
// subscription for good (InvalidArgument, PermissionDenied), the client closes
// (ErrClosed), every endpoint in turn shows a gap or disorder (ErrGap, ErrOutOfOrder) or
// has pruned the blocks its events need verifying against (*BlocksPrunedError), or the
// verification's trust root cannot be had (a *ConfigError: a trusted header pruned).
// One Subscribe may run per Client at a time; it also resolves Send handles.
//
// With Config.Verify on, every event is checked against the chain before h sees it, and a
// node that fails a check is left for another (see VerifyConfig); with
// Config.SubscribeAgreed set, Subscribe is SubscribeAgreed with that threshold.
func (c *Client) Subscribe(ctx context.Context, from int64, h Handler) error {
	if c.cfg.SubscribeAgreed > 0 {
		return c.SubscribeAgreed(ctx, from, c.cfg.SubscribeAgreed, h)
	}
	if err := c.startSubscription(); err != nil {
		return err
	}
	defer c.endSubscription()
	s := &subscription{c: c, next: from, handler: h}
	backoff := c.cfg.ReconnectBackoff
	faults, lies := 0, 0
	for {
		e, err := c.current(ctx)
		if err == nil {
			var delivered int
			delivered, err = s.stream(ctx, e)
			if delivered > 0 {
				backoff, lies = c.cfg.ReconnectBackoff, 0
			}
			if isVerifyError(err) {
				if s.verificationFailed(e, err, &lies) {
					return err
				}
			} else if stop, final := s.classify(ctx, err, &faults); stop {
				return final
			}
			if status.Code(err) == codes.Unauthenticated {
				e.invalidate()
			}
			c.failover(e, err)
		} else if errors.Is(err, ErrClosed) || ctx.Err() != nil {
			return err
		}
		c.logger.Info("subscription interrupted, resuming", "next", s.next, "err", err, "backoff", backoff)
		if err := sleepCtx(ctx, backoff); err != nil {
			return err
		}
		backoff = min(2*backoff, c.cfg.MaxReconnectBackoff)
	}
}

// verificationFailed reports a verification failure of e (at ERROR, and to OnFault),
// quarantines e, and tells whether Subscribe gives up (Verify.GiveUpAfter).
func (s *subscription) verificationFailed(e *endpoint, err error, lies *int) bool {
	s.c.logger.Error("sequencer endpoint failed verification", "endpoint", e.addr, "next", s.next, "err", err)
	if f := s.c.cfg.Verify.OnFault; f != nil {
		f(err)
	}
	s.c.quarantine(e)
	*lies++
	return s.c.cfg.Verify.GiveUpAfter > 0 && *lies >= s.c.cfg.Verify.GiveUpAfter
}

// classify decides whether a stream error ends the subscription.
func (s *subscription) classify(ctx context.Context, err error, faults *int) (bool, error) {
	var he *handlerError
	switch {
	case ctx.Err() != nil:
		return true, ctx.Err()
	case errors.As(err, &he):
		return true, he.err
	case errors.As(err, new(*ConfigError)): // the trust root cannot be had from the chain
		return true, err
	case errors.Is(err, ErrGap) || errors.Is(err, ErrOutOfOrder) || errors.As(err, new(*BlocksPrunedError)):
		*faults++
		if *faults >= len(s.c.cfg.Endpoints) {
			return true, err
		}
		return false, nil
	}
	if handled, stop, final := s.classifyPruned(err, faults); handled {
		return stop, final
	}
	*faults = 0
	switch status.Code(err) {
	case codes.InvalidArgument, codes.PermissionDenied:
		return true, fmt.Errorf("subscription refused: %w", err)
	}
	return false, nil
}

func (c *Client) startSubscription() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if c.subscribed {
		return ErrAlreadySubscribed
	}
	c.subscribed = true
	return nil
}

func (c *Client) endSubscription() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subscribed = false
}

// subscription is the position of a running Subscribe.
type subscription struct {
	c      *Client
	next   int64 // counter of the next event to deliver
	lastTS int64 // timestamp of the last delivered event
	// lastHeight is the height of the last delivered event (verified subscriptions).
	lastHeight int64
	handler    Handler
}

// stream opens one Subscribe stream on e at s.next and delivers until it fails. It
// returns how many events it delivered and why it stopped.
func (s *subscription) stream(ctx context.Context, e *endpoint) (int, error) {
	if s.c.verify != nil {
		return s.streamVerified(ctx, e)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	authed, err := e.credentials(sctx, s.c)
	if err != nil {
		return 0, err
	}
	st, err := e.seq.Subscribe(authed, &pb.SubscribeRequest{Member: s.c.cfg.Member, FromCounter: s.next, MaxEventsPerResponse: eventsPerResponse})
	if err != nil {
		return 0, err
	}
	delivered := 0
	for {
		resp, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return delivered, status.Error(codes.Unavailable, "server ended the stream")
		}
		if err != nil {
			return delivered, err
		}
		for _, ev := range responseEvents(resp) {
			ok, err := s.deliver(ctx, e, ev)
			if err != nil {
				return delivered, err
			}
			if ok {
				delivered++
			}
		}
	}
}

// deliver checks ev against the expected position and hands it to the handler. It
// returns false for a dropped duplicate.
func (s *subscription) deliver(ctx context.Context, e *endpoint, ev *pb.SequencedEvent) (bool, error) {
	switch {
	case ev == nil:
		return false, status.Errorf(codes.Internal, "%s sent an empty event", e.addr)
	case ev.Counter < s.next:
		s.c.logger.Debug("dropping duplicate event", "counter", ev.Counter, "next", s.next)
		return false, nil
	case ev.Counter > s.next:
		return false, fmt.Errorf("%w: %s sent counter %d, expected %d", ErrGap, e.addr, ev.Counter, s.next)
	case s.next > 0 && s.lastTS != 0 && ev.TimestampMicros <= s.lastTS:
		return false, fmt.Errorf("%w: %s sent counter %d at %d, previous event at %d", ErrOutOfOrder, e.addr, ev.Counter, ev.TimestampMicros, s.lastTS)
	}
	if err := s.handler(ctx, ev); err != nil {
		return false, &handlerError{err: err}
	}
	s.next++
	s.lastTS = ev.TimestampMicros
	s.c.observe(ev)
	return true, nil
}
