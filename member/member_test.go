package member_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/chaintest"
	"github.com/cometsync/cometsync/member"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/testnet"
)

// echo is a toy member: for every batch another member sends it, it decides to send
// itself an echo under the message id "echo-<counter>". Its state is the list of
// counters it applied and the echo receipts it saw.
type echo struct {
	me string

	// Guarded by the runtime's lock.
	applied  []int64
	receipts []string
	sealed   []string // message ids in the order Seal was called
	failSeal bool     // Seal fails: nothing is sent
	deadline int64    // NextDeadline, when > 0
}

// memStore keeps the committed steps: the position a restart continues from.
type memStore struct {
	mu     sync.Mutex
	next   int64
	outbox map[string]string
}

func (s *memStore) Commit(st member.Step[string, struct{}]) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.Counter < s.next {
		return fmt.Errorf("counter %d after %d", st.Counter, s.next)
	}
	s.next = st.Counter + 1
	for _, id := range st.OutboxDel {
		delete(s.outbox, id)
	}
	for _, m := range st.OutboxAdd {
		s.outbox[m.ID] = m.Msg
	}
	return nil
}

func (s *memStore) position() member.Position[string] {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := member.Position[string]{Next: s.next}
	for _, id := range slices.Sorted(maps.Keys(s.outbox)) {
		p.Outbox = append(p.Outbox, member.Message[string]{ID: id, Msg: s.outbox[id]})
	}
	return p
}

func (e *echo) Open(ev *pb.SequencedEvent) any { return ev.Counter }

func (e *echo) Apply(ev *pb.SequencedEvent, opened any) (member.Applied[string, struct{}], error) {
	if opened.(int64) != ev.Counter {
		return member.Applied[string, struct{}]{}, errors.New("opened result of another event")
	}
	e.applied = append(e.applied, ev.Counter)
	var a member.Applied[string, struct{}]
	if strings.HasPrefix(ev.MessageId, "echo-") {
		e.receipts = append(e.receipts, ev.MessageId)
	}
	if ev.Kind == pb.EventKind_EVENT_KIND_DELIVER && ev.Sender != "" && ev.Sender != e.me {
		id := fmt.Sprintf("echo-%04d", ev.Counter)
		a.Send = []member.Message[string]{{ID: id, Msg: id}}
	}
	return a, nil
}

func (e *echo) Seal(m member.Message[string]) (*pb.Batch, driver.SendOptions, bool, error) {
	e.sealed = append(e.sealed, m.ID)
	if e.failSeal {
		return nil, driver.SendOptions{}, false, errors.New("sealing disabled")
	}
	env := &pb.Envelope{Recipients: []*pb.Recipient{{Member: e.me}}, Content: []byte(m.Msg)}
	return &pb.Batch{Envelopes: []*pb.Envelope{env}}, driver.SendOptions{}, false, nil
}

func (e *echo) NextDeadline() (int64, bool) { return e.deadline, e.deadline > 0 }

type world struct {
	net        *testnet.Network
	alice, bob testnet.Member
}

func newWorld(t *testing.T) *world {
	t.Helper()
	specs := []testnet.MemberSpec{{Kind: crypto.KindParticipant, Name: "alice"}, {Kind: crypto.KindParticipant, Name: "bob"}}
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: specs})
	return &world{net: net, alice: net.Member("alice"), bob: net.Member("bob")}
}

func (w *world) driverConfig(m testnet.Member) driver.Config {
	cfg := driver.DefaultConfig()
	cfg.Endpoints, cfg.Member, cfg.SigningKey = w.net.APIAddresses(), m.ID, m.Key
	cfg.ResubmitInterval = time.Second
	return cfg
}

// start runs alice's echo member from the store's position.
func (w *world) start(t *testing.T, h *echo, s *memStore) *member.Runtime[string, struct{}] {
	t.Helper()
	var mu sync.Mutex
	cfg := member.Config{Driver: w.driverConfig(w.alice), Role: "echo", Lock: &mu}
	rt, err := member.Start(context.Background(), cfg, func(_ context.Context, _ *member.Runtime[string, struct{}], _ *driver.TopologyState) (member.Handler[string, struct{}], member.Store[string, struct{}], member.Position[string], error) {
		return h, s, s.position(), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Stop)
	return rt
}

// sendFromBob sends n batches to alice.
func (w *world) sendFromBob(t *testing.T, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := driver.New(w.driverConfig(w.bob), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	// The receipts that resolve the sends come on bob's own stream.
	go func() {
		_ = c.Subscribe(ctx, 0, func(context.Context, *pb.SequencedEvent) error { return nil })
	}()
	for i := range n {
		b := &pb.Batch{Envelopes: []*pb.Envelope{{Recipients: []*pb.Recipient{{Member: w.alice.ID}}, Content: []byte{byte(i)}}}}
		if _, err := c.SendAndWait(ctx, b, driver.SendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func await(t *testing.T, rt *member.Runtime[string, struct{}], what string, pred func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := rt.Await(ctx, pred); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// TestRuntimeRestartAndReplay runs the runtime's contract on a real chain:
//   - live, the outbox is sent and each entry leaves it with its receipt;
//   - restarted over its store, a member resumes from the next counter and sends nothing
//     again;
//   - rebuilt from counter 0 with an empty store, it decides the same messages, finds
//     their receipts in the stream and sends nothing again either;
//   - an outbox committed but never sent is sent after a restart, in message id order.
func TestRuntimeRestartAndReplay(t *testing.T) {
	w := newWorld(t)
	w.sendFromBob(t, 3)

	// First run: three echoes, each sent once and received.
	h1, s1 := &echo{me: w.alice.ID}, &memStore{outbox: map[string]string{}}
	rt1 := w.start(t, h1, s1)
	await(t, rt1, "three echo receipts", func() bool { p := rt1.ProgressLocked(); return len(h1.receipts) == 3 && p.Outbox == 0 })
	if len(h1.sealed) != 3 || !slices.IsSorted(h1.sealed) {
		t.Fatalf("first run sealed %v, want three echoes in message id order", h1.sealed)
	}
	rt1.Stop()
	resumeAt := s1.position().Next

	// Restart over the store: no event applied twice, nothing sent again.
	h2 := &echo{me: w.alice.ID}
	rt2 := w.start(t, h2, s1)
	await(t, rt2, "live after the restart", func() bool { return rt2.ProgressLocked().Live })
	rt2.Stop()
	if len(h2.applied) == 0 || h2.applied[0] != resumeAt {
		t.Fatalf("restart applied %v first, want counter %d (the store's next)", h2.applied, resumeAt)
	}
	if len(h2.sealed) != 0 {
		t.Fatalf("restart sent %v again", h2.sealed)
	}

	// Rebuild from counter 0: the same decisions, every receipt found, nothing sent.
	h3, s3 := &echo{me: w.alice.ID}, &memStore{outbox: map[string]string{}}
	rt3 := w.start(t, h3, s3)
	await(t, rt3, "live after the rebuild", func() bool { p := rt3.ProgressLocked(); return p.Live && p.Outbox == 0 })
	rt3.Stop()
	if h3.applied[0] != 0 || len(h3.receipts) != 3 {
		t.Fatalf("rebuild applied from %d and saw receipts %v", h3.applied[0], h3.receipts)
	}
	if len(h3.sealed) != 0 {
		t.Fatalf("rebuild sent %v again", h3.sealed)
	}

	// Messages decided while sealing fails stay in the committed outbox; the next run
	// sends them in message id order.
	w.sendFromBob(t, 2)
	h4 := &echo{me: w.alice.ID, failSeal: true}
	rt4 := w.start(t, h4, s1)
	await(t, rt4, "two unsent echoes", func() bool { return rt4.ProgressLocked().Outbox == 2 })
	rt4.Stop()
	if got := len(s1.position().Outbox); got != 2 {
		t.Fatalf("committed outbox has %d messages, want 2", got)
	}
	h5 := &echo{me: w.alice.ID}
	rt5 := w.start(t, h5, s1)
	await(t, rt5, "the two echoes' receipts", func() bool { return len(h5.receipts) == 2 && rt5.ProgressLocked().Outbox == 0 })
	if len(h5.sealed) != 2 || !slices.IsSorted(h5.sealed) {
		t.Fatalf("sealed %v after the restart, want the two echoes in message id order", h5.sealed)
	}
}

// TestRuntimeDeadlineTimeProof: with work pending until a sequencing time and nobody
// sending anything, the runtime asks for a time proof once the wall clock passes it, so
// that an event past the deadline arrives.
func TestRuntimeDeadlineTimeProof(t *testing.T) {
	w := newWorld(t)
	h, s := &echo{me: w.alice.ID}, &memStore{outbox: map[string]string{}}
	rt := w.start(t, h, s)
	var deadline int64
	await(t, rt, "live", func() bool {
		p := rt.ProgressLocked()
		if p.Live && deadline == 0 {
			deadline = p.Timestamp + 1
			h.deadline = deadline
		}
		return p.Live
	})
	await(t, rt, "an event past the deadline", func() bool { return rt.ProgressLocked().Timestamp > deadline })
}

// TestRuntimeConfigErrors: a bad Config names its field.
func TestRuntimeConfigErrors(t *testing.T) {
	_, err := member.Start(context.Background(), member.Config{}, func(context.Context, *member.Runtime[string, struct{}], *driver.TopologyState) (member.Handler[string, struct{}], member.Store[string, struct{}], member.Position[string], error) {
		t.Fatal("setup called for an invalid config")
		return nil, nil, member.Position[string]{}, nil
	})
	var ce *member.ConfigError
	if !errors.As(err, &ce) || ce.Field != "Role" || !errors.Is(err, member.ErrInvalidConfig) {
		t.Fatalf("got %v, want a ConfigError for Role", err)
	}
}
