package participant

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant/engine"
	"github.com/cometsync/cometsync/participant/store"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/topology"
)

// Config configures a participant node.
type Config struct {
	Driver        driver.Config
	EncryptionKey crypto.EncryptionPrivateKey
	// Decryption, when set, finds older (rotated) encryption keys by fingerprint, so that
	// a replay still opens history encrypted to them.
	Decryption func(crypto.Fingerprint) (crypto.EncryptionPrivateKey, bool)
	Packages   *ledger.PackageSet
	// Mediators are the members of the mediator group the node submits to; empty takes
	// the group's active mediators from the topology.
	Mediators     []string
	MediatorGroup uint32
	// Store is the node's database; nil keeps the state in an in-memory database (the
	// node then rebuilds it from the chain on every start).
	Store  *store.Store
	Logger *slog.Logger
	// Registerer receives the node's metrics; nil keeps them in a registry of the node's
	// own (Node.Metrics).
	Registerer prometheus.Registerer
	// DeduplicationPeriod is how long, on sequencer time, a committed command's change id
	// is remembered (SubmitCommand); 0 is DefaultDeduplicationPeriod.
	DeduplicationPeriod time.Duration
}

// Node is a running participant.
type Node struct {
	cfg    Config
	log    *slog.Logger
	client *driver.Client
	cancel context.CancelFunc
	done   chan struct{}
	stop   sync.Once

	store     *store.Store
	ownsStore bool

	mu     sync.Mutex
	topo   *topology.State
	eng    *engine.Engine
	live   bool
	next   int64                  // the next counter of the stream to apply
	target int64                  // chain height at the start: the node is live from there
	height int64                  // of the last event applied
	lastTS int64                  // timestamp of the last event applied
	outbox map[string]engine.Send // decided sends without a receipt yet
	sent   map[string]bool        // outbox entries handed to the driver by this process
	// submissions are this node's requests by message id until their receipt is on the
	// stream; then waiters has them by request id (sequencing time) until the verdict.
	submissions map[string]chan engine.Completion
	waiters     map[int64]chan engine.Completion
	changed     chan struct{} // closed and replaced after every event
	failed      error         // why the stream stopped, if it did
	// completions are the outcomes of recent requests this node took part in, by
	// request id (bounded: the oldest are forgotten), for WaitCompletion.
	completions map[int64]engine.Completion
	completed   []int64 // completions' keys in arrival order
	metrics     *metrics
	// changes are the command records by change id, changeOf the change id of each
	// sequenced attempt awaiting its verdict (by request id), sending the change ids
	// with an attempt being sent by this process.
	changes  map[string]store.Change
	changeOf map[int64]string
	sending  map[string]struct{}
	// completionEnd is the offset of the last command completion.
	completionEnd int64
	// lifetime ends when the node stops: asynchronous submissions wait under it.
	lifetime context.Context
}

// Start connects, loads the topology and the node's database, and follows the stream
// from the first event the database has not applied (counter 0 for an empty one: the
// node then rebuilds its state from the chain, sending only what is still missing).
func Start(ctx context.Context, cfg Config) (n *Node, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	n = &Node{cfg: cfg, log: cfg.Logger, store: cfg.Store, metrics: newMetrics(cfg.Registerer),
		submissions: map[string]chan engine.Completion{}, waiters: map[int64]chan engine.Completion{}, done: make(chan struct{}), changed: make(chan struct{}),
		completions: map[int64]engine.Completion{}, changeOf: map[int64]string{}, sending: map[string]struct{}{}}
	if n.store == nil {
		if n.store, err = store.Open("", cfg.Logger); err != nil {
			return nil, err
		}
		n.ownsStore = true
	}
	defer func() {
		if err != nil && n.client != nil {
			n.client.Close()
		}
		if err != nil && n.ownsStore {
			n.store.Close()
		}
	}()
	if n.client, err = driver.New(cfg.Driver, cfg.Logger); err != nil {
		return nil, err
	}
	if err = n.client.Connect(ctx); err != nil {
		return nil, err
	}
	if err = n.store.Bind(store.Identity{Participant: cfg.Driver.Member, SynchronizerID: n.client.SynchronizerID()}); err != nil {
		return nil, err
	}
	ts, err := n.client.DownloadTopologyState(ctx)
	if err != nil {
		return nil, err
	}
	n.topo = ts.State
	st, err := n.store.Load()
	if err != nil {
		return nil, err
	}
	if n.eng, err = engine.Restore(n.engineConfig(), st.ACS, st.Engine); err != nil {
		return nil, err
	}
	n.next, n.outbox, n.sent, n.target = st.NextCounter, st.Outbox, map[string]bool{}, ts.Height
	n.changes, n.completionEnd = st.Changes, st.CompletionEnd
	for id, c := range n.changes {
		if !c.Done && c.RequestID != 0 {
			n.changeOf[c.RequestID] = id
		}
	}
	n.metrics.knowHeight(ts.Height)
	// A time proof: its receipt is sequenced after the height the node starts from, so the
	// node learns it is live even when no one else sends it anything.
	if err = n.client.RequestTimeProof(ctx); err != nil {
		return nil, fmt.Errorf("send the catch-up marker: %w", err)
	}
	lctx, cancel := context.WithCancel(context.Background())
	n.cancel, n.lifetime = cancel, lctx
	go n.follow(lctx, st.NextCounter, ts.Height)
	// A request without a verdict times out at the first event after its deadline: ask
	// for one when none comes.
	go n.client.WatchDeadlines(lctx, func() driver.Deadline {
		n.mu.Lock()
		defer n.mu.Unlock()
		at, pending := n.eng.NextDeadline()
		return driver.Deadline{At: at, Seen: n.lastTS, Pending: pending, Live: n.live}
	})
	return n, nil
}

func (n *Node) engineConfig() engine.Config {
	me := n.cfg.Driver.Member
	return engine.Config{
		Participant: me, SynchronizerID: n.client.SynchronizerID(),
		Packages: n.cfg.Packages, SigningKey: n.cfg.Driver.SigningKey,
		Decryption: func(fp crypto.Fingerprint) (crypto.EncryptionPrivateKey, bool) {
			if n.cfg.EncryptionKey.Public().Fingerprint() == fp {
				return n.cfg.EncryptionKey, true
			}
			if n.cfg.Decryption != nil {
				return n.cfg.Decryption(fp)
			}
			return crypto.EncryptionPrivateKey{}, false
		},
		Topology: onChain{n.topo},
	}
}

// mediators returns the configured mediators, or the active ones of the group in s.
func (n *Node) mediators(s *topology.Snapshot) []string {
	if len(n.cfg.Mediators) > 0 {
		return n.cfg.Mediators
	}
	return s.Group(pb.GroupKind_GROUP_KIND_MEDIATOR_GROUP, n.cfg.MediatorGroup)
}

// Stop ends the node (and closes the database if the node opened it).
func (n *Node) Stop() {
	n.stop.Do(func() {
		n.cancel()
		n.client.Close()
		<-n.done
		if n.ownsStore {
			n.store.Close()
		}
	})
}

// job is one event on its way through the pipeline of follow.
type job struct {
	ev     *pb.SequencedEvent
	opened chan engine.Opened
}

// pipelineDepth bounds the events read ahead of the one being applied.
const pipelineDepth = 256

// follow runs the subscription; the node is live once it reaches the height the
// topology was downloaded at. Events are decrypted concurrently, ahead of the one being
// applied (decryption is most of a replay's work), and applied strictly in order.
func (n *Node) follow(ctx context.Context, from, startHeight int64) {
	defer close(n.done)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work, jobs := make(chan *job, pipelineDepth), make(chan *job, pipelineDepth)
	var openers sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		openers.Go(func() {
			for j := range work {
				j.opened <- n.eng.Open(j.ev)
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
			if err := n.step(ctx, j.ev, j.ev.Height >= startHeight, o); err != nil {
				cancel(err)
			}
		}
	}()
	err := n.client.Subscribe(ctx, from, func(_ context.Context, ev *pb.SequencedEvent) error {
		n.metrics.knowHeight(ev.Height)
		j := &job{ev: ev, opened: make(chan engine.Opened, 1)}
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
		n.log.Error("participant stream ended", "err", err)
		n.mu.Lock()
		n.failed = err
		n.notifyLocked()
		n.mu.Unlock()
	}
}

func (n *Node) step(ctx context.Context, ev *pb.SequencedEvent, live bool, opened engine.Opened) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, err := n.topo.Follow(ev); err != nil {
		return fmt.Errorf("topology diverged: %w", err)
	}
	if err := n.eng.StepOpened(ev, opened); err != nil {
		return err
	}
	st := store.Step{Counter: ev.Counter}
	if _, ok := n.outbox[ev.MessageId]; ok && ev.MessageId != "" {
		delete(n.outbox, ev.MessageId) // sequenced: its receipt is on the stream
		delete(n.sent, ev.MessageId)
		st.OutboxDel = append(st.OutboxDel, ev.MessageId)
	}
	rd := n.eng.Ready()
	for _, s := range rd.Sends {
		n.outbox[s.MessageID] = s
	}
	st.OutboxAdd = rd.Sends
	st.Updates, st.PendingAdded, st.PendingRemoved, st.RootsAdded = rd.Updates, rd.PendingAdded, rd.PendingRemoved, rd.RootsAdded
	st.Changes = n.trackCommand(ev, rd.Completions)
	st.Completions = n.completionsOf(rd.Completions)
	if err := n.store.Apply(st); err != nil {
		return fmt.Errorf("store event %d: %w", ev.Counter, err)
	}
	n.next, n.height, n.lastTS = ev.Counter+1, ev.Height, ev.TimestampMicros
	if w, ok := n.submissions[ev.MessageId]; ok && ev.MessageId != "" {
		n.waiters[ev.TimestampMicros] = w // its verdict comes in a later event
		delete(n.submissions, ev.MessageId)
	}
	n.report(rd)
	for _, c := range rd.Completions {
		if w, ok := n.waiters[c.RequestID]; ok {
			w <- c
			delete(n.waiters, c.RequestID)
		}
	}
	n.live = n.live || live
	if n.live {
		n.flush(ctx)
	}
	n.metrics.stepped(n.progress())
	n.notifyLocked()
	return nil
}

// notifyLocked wakes the waiters of await (called under n.mu).
func (n *Node) notifyLocked() {
	close(n.changed)
	n.changed = make(chan struct{})
}

// await waits, event by event, until pred (called under the lock) holds.
func (n *Node) await(ctx context.Context, pred func() bool) error {
	for {
		n.mu.Lock()
		ok, ch := pred(), n.changed
		n.mu.Unlock()
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

// flush sends what the outbox holds and was not sent yet; resubmission until the
// receipt is the driver's job, and the entry leaves the outbox when the receipt is on
// the stream.
func (n *Node) flush(ctx context.Context) {
	for id, s := range n.outbox {
		if n.sent[id] {
			continue
		}
		b, err := n.eng.SealSend(s)
		if err != nil {
			n.log.Error("seal a response", "message_id", id, "err", err)
			continue
		}
		if _, err := n.client.Send(ctx, b, driver.SendOptions{MessageID: id}); err != nil {
			n.log.Warn("send failed", "message_id", id, "err", err)
			continue
		}
		n.sent[id] = true
	}
}

// ACS returns a copy of the active contracts.
func (n *Node) ACS() ledger.ContractMap {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := ledger.ContractMap{}
	for id, c := range n.eng.ACS() {
		out[id] = c
	}
	return out
}

// WaitACS waits, event by event, until cond holds for the active contracts (cond must
// not keep or modify them).
func (n *Node) WaitACS(ctx context.Context, cond func(ledger.ContractMap) bool) error {
	return n.await(ctx, func() bool { return cond(n.eng.ACS()) })
}

// WaitHosted waits until this node's topology shows party hosted somewhere.
func (n *Node) WaitHosted(ctx context.Context, party ledger.Party) error {
	return n.await(ctx, func() bool { _, ok := n.topo.Head().PartyToParticipant(string(party)); return ok })
}

// Updates returns the committed updates so far.
func (n *Node) Updates() []engine.Update {
	us, err := n.store.Updates(1, math.MaxInt)
	if err != nil {
		n.log.Error("read updates", "err", err)
	}
	return us
}

func randomSeed() (s [32]byte) {
	_, _ = rand.Read(s[:])
	return s
}
