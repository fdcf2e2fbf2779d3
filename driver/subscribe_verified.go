package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// received is one Subscribe response or the stream's end.
type received struct {
	resp *pb.SubscribeResponse
	err  error
}

// headResult is one stream head check: the proven next counter or why it failed.
type headResult struct {
	height, next int64
	err          error
}

// streamVerified is stream with verification on: it asks for proofs, checks every event
// against the verified header after its block before delivering it, and checks the
// proven head of the stream every HeadInterval: events the head shows that do not arrive
// within OmissionWait are ErrOmittedEvents.
func (s *subscription) streamVerified(ctx context.Context, e *endpoint) (int, error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	authed, err := e.credentials(sctx, s.c)
	if err != nil {
		return 0, err
	}
	st, err := e.seq.Subscribe(authed, &pb.SubscribeRequest{Member: s.c.cfg.Member, FromCounter: s.next, MaxEventsPerResponse: eventsPerResponse, WithProofs: true})
	if err != nil {
		return 0, err
	}
	recv := make(chan received, 1)
	go receive(sctx, st, recv)
	heads := make(chan headResult, 1)
	tick := time.NewTicker(s.c.cfg.Verify.HeadInterval)
	defer tick.Stop()
	w := &omissionWatch{}
	delivered := 0
	checking := false
	for {
		select {
		case r := <-recv:
			if r.err != nil {
				return delivered, r.err
			}
			n, err := s.deliverVerified(sctx, e, r.resp)
			delivered += n
			if err != nil {
				return delivered, err
			}
			w.progress(s.next)
		case <-tick.C:
			if err := w.expired(e, s, time.Now()); err != nil {
				return delivered, err
			}
			if !checking {
				checking = true
				go func(next, lastHeight int64) { heads <- s.checkHead(sctx, e, next, lastHeight) }(s.next, s.lastHeight)
			}
		case h := <-heads:
			checking = false
			if h.err != nil {
				return delivered, h.err
			}
			w.owe(h, s.next, time.Now().Add(s.c.cfg.Verify.OmissionWait))
		case <-ctx.Done():
			return delivered, ctx.Err()
		}
	}
}

// receive passes the stream's responses to out until it fails or ctx ends.
func receive(ctx context.Context, st interface {
	Recv() (*pb.SubscribeResponse, error)
}, out chan<- received) {
	for {
		resp, err := st.Recv()
		if errors.Is(err, io.EOF) {
			err = status.Error(codes.Unavailable, "server ended the stream")
		}
		select {
		case out <- received{resp, err}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// deliverVerified checks and delivers the events of one response, in order. It returns
// how many it delivered.
func (s *subscription) deliverVerified(ctx context.Context, e *endpoint, resp *pb.SubscribeResponse) (int, error) {
	evs := responseEvents(resp)
	proofs := resp.GetProofs()
	s.c.verify.prefetch(ctx, e, headerHeights(evs))
	delivered := 0
	for i, ev := range evs {
		if ev == nil || ev.Counter < s.next {
			if _, err := s.deliver(ctx, e, ev); err != nil { // an empty event, a duplicate
				return delivered, err
			}
			continue
		}
		if i >= len(proofs) {
			return delivered, s.verifyError(ErrEventProof, e, ev.Counter, 0, fmt.Errorf("%d events came with %d proofs", len(evs), len(proofs)))
		}
		if err := s.checkEvent(ctx, e, ev, proofs[i]); err != nil {
			return delivered, err
		}
		ok, err := s.deliver(ctx, e, ev)
		if err != nil {
			return delivered, err
		}
		if ok {
			delivered++
			s.lastHeight = ev.Height
		}
	}
	return delivered, nil
}

// headerHeights returns the heights of the headers that prove evs, in order, once each.
func headerHeights(evs []*pb.SequencedEvent) []int64 {
	var hs []int64
	for _, ev := range evs {
		if h := ev.GetHeight() + 1; ev != nil && (len(hs) == 0 || hs[len(hs)-1] != h) {
			hs = append(hs, h)
		}
	}
	return hs
}

// checkEvent checks ev against the verified header after its proof's block.
func (s *subscription) checkEvent(ctx context.Context, e *endpoint, ev *pb.SequencedEvent, proof *pb.EventProof) error {
	if ev.Counter > s.next {
		return fmt.Errorf("%w: %s sent counter %d, expected %d", ErrGap, e.addr, ev.Counter, s.next)
	}
	if proof.GetBlock() == nil || proof.Block.Height < 1 {
		return s.verifyError(ErrEventProof, e, ev.Counter, 0, errors.New("no proof"))
	}
	h := proof.Block.Height
	hdr, err := s.c.verify.header(ctx, e, h+1)
	if err != nil {
		return err
	}
	if err := checkEvent(s.c.cfg.Member, ev, proof, hdr.AppHash); err != nil {
		return s.verifyError(ErrEventProof, e, ev.Counter, h, err)
	}
	return nil
}

// checkHead asks e for the head of the stream and checks its proof.
// next and lastHeight are the subscription's position when the check began.
func (s *subscription) checkHead(ctx context.Context, e *endpoint, next, lastHeight int64) headResult {
	cctx, cancel := context.WithTimeout(ctx, s.c.cfg.CallTimeout)
	head, err := e.proofs.GetStreamHead(cctx, &pb.GetStreamHeadRequest{Member: s.c.cfg.Member})
	cancel()
	if err != nil {
		return headResult{err: fmt.Errorf("stream head from %s: %w", e.addr, err)}
	}
	hdr, err := s.c.verify.header(ctx, e, head.Height+1)
	if err != nil {
		return headResult{err: err}
	}
	if err := checkHead(s.c.cfg.Member, head, hdr.AppHash); err != nil {
		return headResult{err: s.verifyError(ErrOmittedEvents, e, head.NextCounter, head.Height, fmt.Errorf("stream head proof: %w", err))}
	}
	if head.Absent && next > 0 && head.Height >= lastHeight {
		return headResult{err: s.verifyError(ErrOmittedEvents, e, next, head.Height, fmt.Errorf("stream head at height %d says the member has no event; it received %d, the last at height %d", head.Height, next, lastHeight))}
	}
	return headResult{height: head.Height, next: head.NextCounter}
}

func (s *subscription) verifyError(kind error, e *endpoint, counter, height int64, err error) error {
	return &VerifyError{Kind: kind, Endpoint: e.addr, Member: s.c.cfg.Member, Counter: counter, Height: height, Err: err}
}

// omissionWatch tracks events a proven head showed that were not delivered yet.
type omissionWatch struct {
	owed     int64 // next counter the head proved; 0: nothing owed
	height   int64
	deadline time.Time
}

// owe records a proven head; the first one showing undelivered events sets the deadline.
func (w *omissionWatch) owe(h headResult, next int64, deadline time.Time) {
	if h.next <= next {
		return
	}
	if w.owed == 0 {
		w.deadline = deadline
	}
	if h.next > w.owed {
		w.owed, w.height = h.next, h.height
	}
}

// progress clears what is owed once it was delivered.
func (w *omissionWatch) progress(next int64) {
	if w.owed != 0 && next >= w.owed {
		w.owed = 0
	}
}

// expired returns ErrOmittedEvents when owed events did not arrive by the deadline.
func (w *omissionWatch) expired(e *endpoint, s *subscription, now time.Time) error {
	if w.owed == 0 || now.Before(w.deadline) {
		return nil
	}
	return s.verifyError(ErrOmittedEvents, e, s.next, w.height, fmt.Errorf("the stream head at height %d proves %d events, %d delivered after waiting %s", w.height, w.owed, s.next, s.c.cfg.Verify.OmissionWait))
}
