package driver_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/app/api/apitest"
	"github.com/cometsync/cometsync/driver"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// sendCalls records the Send and SendBatch calls a client makes. Until open is called
// they wait before reaching the server, so that submissions made meanwhile queue up.
type sendCalls struct {
	gate     chan struct{}
	openOnce sync.Once

	mu      sync.Mutex
	sends   int   // Send calls
	batches []int // submissions per SendBatch call
}

func newSendCalls() *sendCalls { return &sendCalls{gate: make(chan struct{})} }

func (s *sendCalls) open() { s.openOnce.Do(func() { close(s.gate) }) }

func (s *sendCalls) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	switch r := req.(type) {
	case *pb.SendRequest:
		s.mu.Lock()
		s.sends++
		s.mu.Unlock()
	case *pb.SendBatchRequest:
		s.mu.Lock()
		s.batches = append(s.batches, len(r.Submissions))
		s.mu.Unlock()
	default:
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	select {
	case <-s.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

// largestBatch returns the most submissions one SendBatch call carried (0: none).
func (s *sendCalls) largestBatch() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	largest := 0
	for _, b := range s.batches {
		largest = max(largest, b)
	}
	return largest
}

// submissionsSent counts the submissions of all calls (resubmissions included).
func (s *sendCalls) submissionsSent() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.sends
	for _, b := range s.batches {
		n += b
	}
	return n
}

func (s *sendCalls) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("%d Send calls, SendBatch sizes %v", s.sends, s.batches)
}

// withCalls makes the client's calls go through calls.
func withCalls(calls *sendCalls) func(*driver.Config) {
	return func(c *driver.Config) {
		c.DialOptions = []grpc.DialOption{
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithChainUnaryInterceptor(calls.intercept),
		}
	}
}

// collect subscribes c from counter 0 and returns a channel of every event, with room
// for n of them (the subscription never waits for the test).
func collect(t *testing.T, c *driver.Client, n int) <-chan *pb.SequencedEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(ctxT(t))
	events := make(chan *pb.SequencedEvent, n)
	done := make(chan error, 1)
	go func() {
		done <- c.Subscribe(ctx, 0, func(_ context.Context, ev *pb.SequencedEvent) error {
			select {
			case events <- ev:
				return nil
			default:
				return fmt.Errorf("more than %d events", n)
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("subscription ended with %v", err)
		}
	})
	return events
}

// gatedAlice serves an auto-committing backend and connects alice through an
// interceptor that holds her send calls until calls.open().
func gatedAlice(t *testing.T) (*apitest.Fixture, *apitest.Backend, *sendCalls, *driver.Client) {
	t.Helper()
	fx := fixture(t)
	b := backend(t, fx, apitest.Config{AutoCommit: true})
	srv := serve(t, b, nil)
	calls := newSendCalls()
	a := client(t, fx, alice, withCalls(calls), srv.Addr)
	if err := a.Connect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	return fx, b, calls, a
}

func TestConcurrentSendsAreBatched(t *testing.T) {
	const n = 200
	fx, b, calls, a := gatedAlice(t)
	events := collect(t, a, 2*n)

	// Every Send call waits at the gate until all n goroutines have started sending, so
	// that the submissions pile up behind the first call.
	var started, finished sync.WaitGroup
	started.Add(n)
	finished.Add(n)
	receipts := make([]*pb.SequencedEvent, n)
	errs := make([]error, n)
	for i := range n {
		go func() {
			defer finished.Done()
			started.Done()
			receipts[i], errs[i] = a.SendAndWait(ctxT(t), batchTo(fmt.Sprintf("c%d", i), fx.Member(bob).ID), driver.SendOptions{MessageID: fmt.Sprintf("m%d", i)})
		}()
	}
	started.Wait()
	calls.open()
	finished.Wait()

	seen := make(map[int64]int)
	for i := range n {
		r := receipts[i]
		if errs[i] != nil || r.GetKind() != pb.EventKind_EVENT_KIND_DELIVER || r.MessageId != fmt.Sprintf("m%d", i) {
			t.Fatalf("send %d: receipt %+v, err %v", i, r, errs[i])
		}
		if j, ok := seen[r.Counter]; ok {
			t.Fatalf("sends %d and %d got the same receipt (counter %d)", j, i, r.Counter)
		}
		seen[r.Counter] = i
	}
	// Each submission was sequenced exactly once: alice's stream holds the n receipts and
	// nothing else (a second copy would be a DELIVER_ERROR event there).
	ids := make(map[string]bool)
	for range n {
		ev := <-events
		if ev.Kind != pb.EventKind_EVENT_KIND_DELIVER || ids[ev.MessageId] {
			t.Fatalf("alice's event %d: %+v (message ids seen: %d)", ev.Counter, ev, len(ids))
		}
		ids[ev.MessageId] = true
	}
	for _, m := range []string{fx.Member(alice).ID, fx.Member(bob).ID} {
		if next, err := b.NextCounter(m); err != nil || next != n {
			t.Fatalf("%s's stream has %d events (%v), want %d", m, next, err, n)
		}
	}
	if got := calls.submissionsSent(); got < n {
		t.Fatalf("the calls carried %d submissions, fewer than the %d sends", got, n)
	}
	if largest := calls.largestBatch(); largest < 2 {
		t.Fatalf("no SendBatch call carried several submissions: %v", calls)
	}
	t.Log(calls)
}

// presigned returns alice's signed submission to bob with message id id.
func presigned(fx *apitest.Fixture, id, content string) []byte {
	a := fx.Member(alice)
	return a.Sign(a.Request(id, time.Now().Add(time.Minute), []byte(content), fx.Member(bob).ID))
}

// corrupt flips a bit inside the signature field of a submission made by presigned.
func corrupt(tx []byte) []byte {
	tx[len(tx)-80] ^= 1
	return tx
}

func TestSubmitSigned(t *testing.T) {
	fx := fixture(t)
	b := backend(t, fx, apitest.Config{AutoCommit: true})
	srv := serve(t, b, nil)
	a := client(t, fx, alice, nil, srv.Addr)
	aliceSub, bobSub := subscribe(t, a, 0), subscribe(t, client(t, fx, bob, nil, srv.Addr), 0)

	if err := a.SubmitSigned(ctxT(t), presigned(fx, "pre", "signed elsewhere")); err != nil {
		t.Fatal(err)
	}
	if ev := aliceSub.next(t); ev.Kind != pb.EventKind_EVENT_KIND_DELIVER || ev.MessageId != "pre" || ev.Counter != 0 {
		t.Fatalf("alice's receipt %+v", ev)
	}
	if ev := bobSub.next(t); string(ev.Batch.Envelopes[0].Content) != "signed elsewhere" {
		t.Fatalf("bob got %+v", ev)
	}

	err := a.SubmitSigned(ctxT(t), corrupt(presigned(fx, "bad", "x")))
	var se *driver.SendError
	if !errors.As(err, &se) || se.Code != seqapi.CodeBadSignature {
		t.Fatalf("got %v, want a SendError with %v", err, seqapi.CodeBadSignature)
	}
	if code, ok := seqapi.SubmissionCode(se.Err); !ok || code != seqapi.CodeBadSignature || status.Code(se.Err) != codes.PermissionDenied {
		t.Fatalf("the SendError wraps %v (submission code %v %v)", se.Err, code, ok)
	}
	// Another member's submission is refused without a submission code.
	bm := fx.Member(bob)
	err = a.SubmitSigned(ctxT(t), bm.Sign(bm.Request("asbob", time.Now().Add(time.Minute), []byte("x"), bm.ID)))
	if status.Code(err) != codes.PermissionDenied || errors.As(err, &se) {
		t.Fatalf("sending bob's submission as alice: %v", err)
	}
	if next, err := b.NextCounter(fx.Member(bob).ID); err != nil || next != 1 {
		t.Fatalf("bob's stream has %d events (%v), want only the valid one", next, err)
	}
}

func TestSubmitSignedBatchedOutcomes(t *testing.T) {
	// Valid and badly signed submissions queued together: each caller gets the outcome of
	// its own submission from the shared SendBatch call.
	const n = 40
	fx, b, calls, a := gatedAlice(t)
	var started, finished sync.WaitGroup
	started.Add(n)
	finished.Add(n)
	errs := make([]error, n)
	for i := range n {
		tx := presigned(fx, fmt.Sprintf("s%d", i), "x")
		if i%2 == 1 {
			tx = corrupt(tx)
		}
		go func() {
			defer finished.Done()
			started.Done()
			errs[i] = a.SubmitSigned(ctxT(t), tx)
		}()
	}
	started.Wait()
	calls.open()
	finished.Wait()

	for i, err := range errs {
		var se *driver.SendError
		switch {
		case i%2 == 0 && err != nil:
			t.Errorf("valid submission %d: %v", i, err)
		case i%2 == 1 && (!errors.As(err, &se) || se.Code != seqapi.CodeBadSignature):
			t.Errorf("badly signed submission %d: %v, want %v", i, err, seqapi.CodeBadSignature)
		}
	}
	if next, err := b.NextCounter(fx.Member(bob).ID); err != nil || next != n/2 {
		t.Fatalf("bob's stream has %d events (%v), want %d", next, err, n/2)
	}
	if largest := calls.largestBatch(); largest < 2 {
		t.Fatalf("no SendBatch call carried several submissions: %v", calls)
	}
}
