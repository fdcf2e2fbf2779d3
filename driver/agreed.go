package driver

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// ErrNoAgreement is returned by SubscribeAgreed when the endpoints served events for one
// counter that differ so much that no version can reach the threshold: more sequencer
// nodes than tolerated are faulty.
var ErrNoAgreement = errors.New("sequencer endpoints disagree beyond the threshold")

// vote is one endpoint's event for one counter.
type vote struct {
	endpoint int
	ev       *pb.SequencedEvent
	digest   [sha256.Size]byte
}

// SubscribeAgreed follows the member's stream on every configured endpoint at once and
// hands an event to h only when threshold endpoints served byte-identical events for its
// counter: with N = 3f+1 sequencer nodes of which at most f are faulty, a threshold of
// f+1 means at least one honest node vouches for every delivered event. Endpoints that
// fail are reconnected in the background; the stream continues as long as threshold of
// them agree. It returns ErrNoAgreement when the endpoints' versions of a counter make the
// threshold unreachable. Like Subscribe, it resolves Send handles, and only one
// subscription may run per Client.
func (c *Client) SubscribeAgreed(ctx context.Context, from int64, threshold int, h Handler) error {
	n := len(c.cfg.Endpoints)
	if threshold < 1 || threshold > n {
		return &ConfigError{"threshold", fmt.Sprintf("%d with %d endpoints", threshold, n)}
	}
	if err := c.startSubscription(); err != nil {
		return err
	}
	defer c.endSubscription()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	votes := make(chan vote, 64*n)
	for i := range n {
		go c.feedVotes(ctx, i, from, votes)
	}
	agg := &agreement{n: n, threshold: threshold, next: from, votes: make(map[int64][]vote)}
	s := &subscription{c: c, next: from, handler: h}
	pseudo := &endpoint{addr: fmt.Sprintf("%d of %d endpoints", threshold, n)}
	for {
		select {
		case v := <-votes:
			if err := agg.add(v); err != nil {
				return err
			}
			for ev := agg.agreed(); ev != nil; ev = agg.agreed() {
				if _, err := s.deliver(ctx, pseudo, ev); err != nil {
					return unwrapHandler(err)
				}
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func unwrapHandler(err error) error {
	var he *handlerError
	if errors.As(err, &he) {
		return he.err
	}
	return err
}

// feedVotes streams endpoint i from its own position, reconnecting with backoff, until
// ctx ends.
func (c *Client) feedVotes(ctx context.Context, i int, from int64, out chan<- vote) {
	next, backoff := from, c.cfg.ReconnectBackoff
	for ctx.Err() == nil {
		got, err := c.streamVotes(ctx, i, next, out)
		next += got
		if got > 0 {
			backoff = c.cfg.ReconnectBackoff
		}
		c.logger.Debug("endpoint stream for agreement interrupted", "endpoint", c.cfg.Endpoints[i], "next", next, "err", err)
		if sleepCtx(ctx, backoff) != nil {
			return
		}
		backoff = min(2*backoff, c.cfg.MaxReconnectBackoff)
	}
}

func (c *Client) streamVotes(ctx context.Context, i int, next int64, out chan<- vote) (int64, error) {
	e, err := c.establish(ctx, i)
	if err != nil {
		return 0, err
	}
	authed, err := e.credentials(ctx, c)
	if err != nil {
		return 0, err
	}
	st, err := e.seq.Subscribe(authed, &pb.SubscribeRequest{Member: c.cfg.Member, FromCounter: next, MaxEventsPerResponse: eventsPerResponse})
	if err != nil {
		return 0, err
	}
	var got int64
	for {
		resp, err := st.Recv()
		if err == io.EOF {
			return got, errors.New("server ended the stream")
		}
		if err != nil {
			return got, err
		}
		for _, ev := range responseEvents(resp) {
			if err := sendVote(ctx, e, i, ev, next+got, out); err != nil {
				return got, err
			}
			got++
		}
	}
}

// sendVote checks that ev, served by endpoint i, is the expected counter and passes it
// on as that endpoint's vote.
func sendVote(ctx context.Context, e *endpoint, i int, ev *pb.SequencedEvent, expected int64, out chan<- vote) error {
	if ev == nil || ev.Counter != expected {
		return fmt.Errorf("%w: %s sent counter %d, expected %d", ErrGap, e.addr, ev.GetCounter(), expected)
	}
	b, err := ev.Marshal()
	if err != nil {
		return err
	}
	select {
	case out <- vote{endpoint: i, ev: ev, digest: sha256.Sum256(b)}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// agreement collects votes per counter and releases counters in order once a version
// reaches the threshold.
type agreement struct {
	n, threshold int
	next         int64
	votes        map[int64][]vote
}

func (a *agreement) add(v vote) error {
	if v.ev.Counter < a.next {
		return nil // already delivered
	}
	for _, w := range a.votes[v.ev.Counter] {
		if w.endpoint == v.endpoint {
			return nil // the endpoint resent after a reconnect
		}
	}
	a.votes[v.ev.Counter] = append(a.votes[v.ev.Counter], v)
	return a.reachable(v.ev.Counter)
}

// reachable fails when no version of counter can still reach the threshold.
func (a *agreement) reachable(counter int64) error {
	vs := a.votes[counter]
	best := 0
	for _, v := range vs {
		best = max(best, a.count(counter, v.digest))
	}
	if best+(a.n-len(vs)) < a.threshold {
		return fmt.Errorf("%w: counter %d: %d endpoints answered with different events, at most %d agree, threshold %d", ErrNoAgreement, counter, len(vs), best, a.threshold)
	}
	return nil
}

func (a *agreement) count(counter int64, d [sha256.Size]byte) int {
	k := 0
	for _, v := range a.votes[counter] {
		if v.digest == d {
			k++
		}
	}
	return k
}

// agreed returns the event of the next counter once threshold endpoints agree on it.
func (a *agreement) agreed() *pb.SequencedEvent {
	for _, v := range a.votes[a.next] {
		if a.count(a.next, v.digest) >= a.threshold {
			delete(a.votes, a.next)
			a.next++
			return v.ev
		}
	}
	return nil
}
