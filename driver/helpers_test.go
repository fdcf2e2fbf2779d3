package driver_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/app/api"
	"github.com/cometsync/cometsync/app/api/apitest"
	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

const (
	alice = "PAR::alice"
	bob   = "PAR::bob"
)

func fixture(t *testing.T) *apitest.Fixture {
	t.Helper()
	fx, err := apitest.NewFixture(alice, bob, "MED::mediator")
	if err != nil {
		t.Fatal(err)
	}
	// A synchronizer id of this test's own: the fixture's is the same in every test, and
	// when a test stops a server, a server of a test running at the same time (in this
	// or another package's process) may take over its port; the driver must then see a
	// synchronizer mismatch, not a working endpoint.
	own, err := crypto.GenerateSigningKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	fx.Genesis.SynchronizerID = "sync::" + own.Fingerprint().String()
	return fx
}

func backend(t *testing.T, fx *apitest.Fixture, cfg apitest.Config) *apitest.Backend {
	t.Helper()
	b, err := apitest.NewBackend(fx.Genesis, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func serve(t *testing.T, b api.Backend, mutate func(*api.Config)) *apitest.Served {
	t.Helper()
	cfg := api.TestConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	return apitest.StartServer(t, b, cfg, apitest.TestLogger(t))
}

func client(t *testing.T, fx *apitest.Fixture, spec string, mutate func(*driver.Config), endpoints ...string) *driver.Client {
	t.Helper()
	m := fx.Member(spec)
	cfg := driver.DefaultConfig()
	cfg.Endpoints = endpoints
	cfg.Member = m.ID
	cfg.SigningKey = m.Key
	cfg.ResubmitInterval = 20 * time.Millisecond
	cfg.ReconnectBackoff = 5 * time.Millisecond
	cfg.MaxReconnectBackoff = 50 * time.Millisecond
	cfg.CallTimeout = 5 * time.Second
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := driver.New(cfg, apitest.TestLogger(t).With("client", spec))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// sub is a running Subscribe whose events and result the test awaits.
type sub struct {
	events chan *pb.SequencedEvent
	done   chan error
	cancel context.CancelFunc
}

func subscribe(t *testing.T, c *driver.Client, from int64) *sub {
	t.Helper()
	ctx, cancel := context.WithCancel(ctxT(t))
	s := &sub{events: make(chan *pb.SequencedEvent, 100), done: make(chan error, 1), cancel: cancel}
	go func() {
		s.done <- c.Subscribe(ctx, from, func(_ context.Context, ev *pb.SequencedEvent) error {
			s.events <- ev
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	return s
}

// next awaits the next event.
func (s *sub) next(t *testing.T) *pb.SequencedEvent {
	t.Helper()
	select {
	case ev := <-s.events:
		return ev
	case err := <-s.done:
		s.done <- err
		select { // an event delivered before the end is still to be read
		case ev := <-s.events:
			return ev
		default:
		}
		t.Fatalf("subscription ended: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("no event within 15s")
	}
	return nil
}

// result awaits the end of the subscription.
func (s *sub) result(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.done:
		s.done <- err
		return err
	case <-time.After(15 * time.Second):
		t.Fatal("subscription did not end within 15s")
	}
	return nil
}

func batchTo(content string, members ...string) *pb.Batch {
	env := &pb.Envelope{Content: []byte(content)}
	for _, m := range members {
		env.Recipients = append(env.Recipients, &pb.Recipient{Member: m})
	}
	return &pb.Batch{Envelopes: []*pb.Envelope{env}}
}

// counters asserts that evs carry the counters want, in order.
func counters(t *testing.T, evs []*pb.SequencedEvent, want ...int64) {
	t.Helper()
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d", len(evs), len(want))
	}
	for i, ev := range evs {
		if ev.Counter != want[i] {
			t.Fatalf("event %d has counter %d, want %d", i, ev.Counter, want[i])
		}
	}
}

// countingMetrics counts subscription opens on a server.
type countingMetrics struct {
	mu    sync.Mutex
	opens int
}

func (m *countingMetrics) SubscribersChanged(d int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if d > 0 {
		m.opens++
	}
}
func (m *countingMetrics) EventsDelivered(int)       {}
func (m *countingMetrics) SubmissionAccepted()       {}
func (m *countingMetrics) SubmissionRejected(string) {}
func (m *countingMetrics) Opens() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.opens
}

// sendDirect has alice send content to bob straight through the backend.
func sendDirect(t *testing.T, b *apitest.Backend, fx *apitest.Fixture, content string) {
	t.Helper()
	a := fx.Member(alice)
	req := a.Request("direct-"+content, time.Now().Add(5*time.Minute), []byte(content), fx.Member(bob).ID)
	tx := a.Sign(req)
	sub, rej := core.DecodeSubmission(tx)
	if rej != nil {
		t.Fatal(rej)
	}
	if err := b.Submit(t.Context(), tx, sub); err != nil {
		t.Fatal(err)
	}
}

type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
