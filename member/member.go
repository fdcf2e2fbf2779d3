package member

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/cometsync/cometsync/driver"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/topology"
)

// Message is an entry of the outbox: a message the member decided to send, under the
// deterministic message id its receipt on the stream will carry. M is the member's own
// form of it (the participant's unsealed responses, the mediator's signed verdicts);
// the runtime only keys, orders and forgets them.
type Message[M any] struct {
	ID  string
	Msg M
}

// Position is where a member's state stands when it starts: the next counter of its
// stream to apply and the outbox of messages decided but without a receipt yet.
type Position[M any] struct {
	Next   int64
	Outbox []Message[M]
}

// Applied is what a member's core produced for one event.
type Applied[M any, S any] struct {
	// Send are the messages decided by the event, added to the outbox.
	Send []Message[M]
	// State is the member's own change to persist with the event (its Store knows it).
	State S
	// Then runs under the lock once the event is committed to the store (wakes the
	// member's own waiters, updates its metrics); nil for none.
	Then func()
}

// Step is one applied event as the store commits it, atomically: the stream position,
// the outbox changes and the member's own state change.
type Step[M any, S any] struct {
	Counter int64
	// OutboxAdd are the messages decided by the event; OutboxDel the ids of the outbox
	// messages whose receipt the event is.
	OutboxAdd []Message[M]
	OutboxDel []string
	State     S
}

// Store persists applied events. Commit must be atomic: after a crash the member
// restarts from the last committed step (its Position), never from half of one.
type Store[M any, S any] interface {
	Commit(Step[M, S]) error
}

// Handler is the member-specific part of the runtime: its deterministic core and the
// sealing of its messages. The runtime calls Open from several goroutines at once and
// every other method under the lock, in stream order.
type Handler[M any, S any] interface {
	// Open does the part of applying ev that needs no state (decrypting it), ahead of
	// and concurrently with the events before it. Its result is passed to Apply.
	Open(ev *pb.SequencedEvent) any
	// Apply applies ev, after the topology state followed it.
	Apply(ev *pb.SequencedEvent, opened any) (Applied[M, S], error)
	// Seal turns an outbox message into the batch to send now and its options. drop
	// reports that it must not be sent any more (its deadline passed): it leaves the
	// outbox of this process (a restart finds it again and drops it again). An error is
	// logged and the message is tried again at the next flush.
	Seal(m Message[M]) (b *pb.Batch, opts driver.SendOptions, drop bool, err error)
	// NextDeadline returns the earliest sequencing time at which pending work times out,
	// and false when nothing is pending: the runtime asks for a time proof once the wall
	// clock passes it and no event came.
	NextDeadline() (at int64, pending bool)
}

// Setup builds a member's handler and store once the runtime's client is connected and
// the topology state is downloaded (r.Client and r.Topology are set), and returns the
// position to continue from. The stream starts after it returns, so a member may keep r
// for its handler.
type Setup[M any, S any] func(ctx context.Context, r *Runtime[M, S], ts *driver.TopologyState) (Handler[M, S], Store[M, S], Position[M], error)

// Config configures a runtime.
type Config struct {
	Driver driver.Config
	// Role names the member in logs ("participant", "mediator").
	Role   string
	Logger *slog.Logger
	// Lock is held while an event is applied and the outbox flushed; the member takes
	// it too to read its state between events. nil: the runtime's own.
	Lock sync.Locker
	// Openers is the number of events opened concurrently (0: GOMAXPROCS).
	Openers int
	// ReadAhead bounds the events received ahead of the one being applied (0: 256).
	ReadAhead int
	// Received, when set, is called with each event as it arrives, before it is applied
	// and without the lock (to track the chain height the member knows of).
	Received func(ev *pb.SequencedEvent)
	// AckInterval is how often at most the runtime acknowledges (signed, on-chain) the
	// last event committed to the store, which lets the sequencer nodes prune (0: 1s;
	// negative: never).
	AckInterval time.Duration
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.Role == "":
		return &ConfigError{Field: "Role", Reason: "empty"}
	case c.Openers < 0:
		return &ConfigError{Field: "Openers", Reason: fmt.Sprintf("%d is negative", c.Openers)}
	case c.ReadAhead < 0:
		return &ConfigError{Field: "ReadAhead", Reason: fmt.Sprintf("%d is negative", c.ReadAhead)}
	}
	return nil
}

// ErrInvalidConfig is what a ConfigError wraps.
var ErrInvalidConfig = errors.New("invalid member runtime config")

// ConfigError names the Config field that is invalid.
type ConfigError struct {
	Field, Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%v: %s: %s", ErrInvalidConfig, e.Field, e.Reason)
}

// Unwrap returns ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// Runtime is a member's I/O loop around its core: it follows the member's stream from a
// counter, keeps the topology state in step with it, applies each event through the
// Handler and commits it to the Store, and sends the outbox once it has caught up.
//
// Catching up: at start the runtime sends a time proof (an empty batch to itself). Its
// receipt is sequenced after the chain height the topology was downloaded at, so the
// member learns it is live even when nobody else sends it anything. Before that the
// runtime only collects: a message decided during replay usually has its receipt later
// in the stream, and sending it again would be wasted (the sequencer would deduplicate
// it). Once live, the outbox is sent in message id order; resubmission until the receipt
// is the driver's job, and an entry leaves the outbox when its receipt is on the stream.
type Runtime[M any, S any] struct {
	cfg    Config
	log    *slog.Logger
	client *driver.Client
	topo   *topology.State
	h      Handler[M, S]
	store  Store[M, S]
	cancel context.CancelFunc
	done   chan struct{}
	stop   sync.Once
	mu     sync.Locker

	// Guarded by mu.
	outbox  map[string]M
	sent    map[string]bool // outbox entries handed to the driver by this process
	next    int64           // the next counter of the stream to apply
	height  int64           // of the last event applied
	lastTS  int64           // timestamp of the last event applied
	start   int64           // chain height at the start: the member is live from there
	live    bool
	failed  error         // why the stream stopped, if it did
	changed chan struct{} // closed and replaced after every event
	ackDue  chan struct{} // an event was committed: acknowledge (see ack.go)
}

// Start connects, downloads the topology state, sets the member up, sends the catch-up
// marker and follows the stream from the position Setup returned.
func Start[M any, S any](ctx context.Context, cfg Config, setup Setup[M, S]) (r *Runtime[M, S], err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Lock == nil {
		cfg.Lock = &sync.Mutex{}
	}
	r = &Runtime[M, S]{cfg: cfg, log: cfg.Logger, mu: cfg.Lock, done: make(chan struct{}), changed: make(chan struct{}), sent: map[string]bool{}, ackDue: make(chan struct{}, 1)}
	if r.client, err = driver.New(cfg.Driver, cfg.Logger); err != nil {
		return nil, err
	}
	client := r.client // r is nil when Start fails
	defer func() {
		if err != nil {
			client.Close()
		}
	}()
	if err = r.client.Connect(ctx); err != nil {
		return nil, err
	}
	ts, err := r.client.DownloadTopologyState(ctx)
	if err != nil {
		return nil, err
	}
	r.topo, r.start = ts.State, ts.Height
	h, store, pos, err := setup(ctx, r, ts)
	if err != nil {
		return nil, err
	}
	r.h, r.store, r.next = h, store, pos.Next
	r.outbox = make(map[string]M, len(pos.Outbox))
	for _, m := range pos.Outbox {
		r.outbox[m.ID] = m.Msg
	}
	if err = r.client.RequestTimeProof(ctx); err != nil {
		return nil, fmt.Errorf("send the catch-up marker: %w", err)
	}
	lctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go r.follow(lctx, pos.Next)
	if cfg.AckInterval >= 0 {
		go r.acknowledge(lctx, cmp.Or(cfg.AckInterval, defaultAckInterval))
	}
	go r.client.WatchDeadlines(lctx, func() driver.Deadline {
		r.mu.Lock()
		defer r.mu.Unlock()
		at, pending := r.h.NextDeadline()
		return driver.Deadline{At: at, Seen: r.lastTS, Pending: pending, Live: r.live}
	})
	return r, nil
}

// Client is the runtime's sequencer client (for the member's own submissions).
func (r *Runtime[M, S]) Client() *driver.Client { return r.client }

// Topology is the member's topology state; read it under the lock.
func (r *Runtime[M, S]) Topology() *topology.State { return r.topo }

// Stop ends the stream and closes the client; it returns once no event is being
// applied. The store is the member's to close.
func (r *Runtime[M, S]) Stop() {
	r.stop.Do(func() {
		r.cancel()
		r.client.Close()
		<-r.done
	})
}

// Done is closed when the stream has ended (Stop, or a failure: see Err).
func (r *Runtime[M, S]) Done() <-chan struct{} { return r.done }

// Progress is where the stream stands.
type Progress struct {
	// Next is the next counter to apply; Height and Timestamp are those of the last
	// event applied (0 before the first).
	Next, Height, Timestamp int64
	// StartHeight is the chain height at the start; Live is true once the member has
	// caught up with it.
	StartHeight int64
	Live        bool
	// Outbox is the number of messages without a receipt.
	Outbox int
}

// ProgressLocked returns the progress; the caller holds the lock.
func (r *Runtime[M, S]) ProgressLocked() Progress {
	return Progress{Next: r.next, Height: r.height, Timestamp: r.lastTS, StartHeight: r.start, Live: r.live, Outbox: len(r.outbox)}
}

// ErrLocked is why the stream stopped (nil while it runs or after Stop); the caller
// holds the lock.
func (r *Runtime[M, S]) ErrLocked() error { return r.failed }

// NotifyLocked wakes the waiters of Await (the caller holds the lock): for a change of
// the member's state outside an event.
func (r *Runtime[M, S]) NotifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// Await waits, event by event, until pred (called under the lock) holds.
func (r *Runtime[M, S]) Await(ctx context.Context, pred func() bool) error {
	for {
		r.mu.Lock()
		ok, ch := pred(), r.changed
		r.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// job is one event on its way through the pipeline of follow.
type job struct {
	ev     *pb.SequencedEvent
	opened chan any
}

// follow runs the subscription. Events are opened concurrently, ahead of the one being
// applied (decryption is most of a replay's work), and applied strictly in order.
func (r *Runtime[M, S]) follow(ctx context.Context, from int64) {
	defer close(r.done)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	depth := cmp.Or(r.cfg.ReadAhead, 256)
	work, jobs := make(chan *job, depth), make(chan *job, depth)
	var openers sync.WaitGroup
	for range cmp.Or(r.cfg.Openers, runtime.GOMAXPROCS(0)) {
		openers.Go(func() {
			for j := range work {
				j.opened <- r.h.Open(j.ev)
			}
		})
	}
	applied := make(chan struct{})
	go func() {
		defer close(applied)
		for j := range jobs {
			o := <-j.opened
			if ctx.Err() != nil {
				continue // stopping: drain
			}
			if err := r.step(ctx, j.ev, o); err != nil {
				cancel(err)
			}
		}
	}()
	err := r.client.Subscribe(ctx, from, func(_ context.Context, ev *pb.SequencedEvent) error {
		if r.cfg.Received != nil {
			r.cfg.Received(ev)
		}
		j := &job{ev: ev, opened: make(chan any, 1)}
		select {
		case jobs <- j:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		work <- j // openers never block: each job's result channel has room
		return nil
	})
	close(work)
	close(jobs)
	<-applied
	openers.Wait()
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		err = cause // the event that could not be applied
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		r.log.Error(r.cfg.Role+" stream ended", "err", err)
		r.mu.Lock()
		r.failed = err
		r.NotifyLocked()
		r.mu.Unlock()
	}
}

func (r *Runtime[M, S]) step(ctx context.Context, ev *pb.SequencedEvent, opened any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.topo.Follow(ev); err != nil {
		return fmt.Errorf("topology diverged: %w", err)
	}
	a, err := r.h.Apply(ev, opened)
	if err != nil {
		return err
	}
	st := Step[M, S]{Counter: ev.Counter, OutboxAdd: a.Send, State: a.State}
	if _, ok := r.outbox[ev.MessageId]; ok && ev.MessageId != "" {
		st.OutboxDel = []string{ev.MessageId} // sequenced: its receipt is on the stream
	}
	if err := r.store.Commit(st); err != nil {
		return fmt.Errorf("store event %d: %w", ev.Counter, err)
	}
	for _, id := range st.OutboxDel {
		delete(r.outbox, id)
		delete(r.sent, id)
	}
	for _, m := range a.Send {
		r.outbox[m.ID] = m.Msg
	}
	r.next, r.height, r.lastTS = ev.Counter+1, ev.Height, ev.TimestampMicros
	r.ackDueLocked()
	r.live = r.live || ev.Height >= r.start
	if a.Then != nil {
		a.Then()
	}
	if r.live {
		r.flush(ctx)
	}
	r.NotifyLocked()
	return nil
}

// flush sends, in message id order, what the outbox holds and this process has not
// sent yet.
func (r *Runtime[M, S]) flush(ctx context.Context) {
	var ids []string // what this process has not sent yet; usually nothing
	for id := range r.outbox {
		if !r.sent[id] {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		b, opts, drop, err := r.h.Seal(Message[M]{ID: id, Msg: r.outbox[id]})
		switch {
		case drop:
			r.log.Debug("outbox message dropped", "message_id", id)
			delete(r.outbox, id)
			continue
		case err != nil:
			r.log.Error("seal a message", "message_id", id, "err", err)
			continue
		}
		opts.MessageID = id
		if _, err := r.client.Send(ctx, b, opts); err != nil {
			if !errors.Is(err, context.Canceled) {
				r.log.Warn("send failed", "message_id", id, "err", err)
			}
			continue
		}
		r.sent[id] = true
	}
}
