package participant

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/member"
	"github.com/cometsync/cometsync/participant/commitments"
	"github.com/cometsync/cometsync/participant/engine"
	"github.com/cometsync/cometsync/participant/snapshot"
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
	// Imports are party ACS snapshots to import at their ticks (party replication; see
	// party_replication.go).
	Imports []PartyImport
	// VerifySnapshot, when set, is the ACS snapshot the database was rebuilt from: the
	// node verifies it against the commitments on its stream (WaitSnapshotVerified) and
	// stops on a mismatch.
	VerifySnapshot *snapshot.Snapshot
}

// Validate checks the configuration; a *ConfigError names the bad field.
func (c Config) Validate() error {
	if err := c.Driver.Validate(); err != nil {
		return &ConfigError{Field: "Driver", Reason: err.Error()}
	}
	switch {
	case c.EncryptionKey.Scheme == "":
		return &ConfigError{Field: "EncryptionKey", Reason: "not set"}
	case c.Packages == nil:
		return &ConfigError{Field: "Packages", Reason: "nil"}
	case c.DeduplicationPeriod < 0:
		return &ConfigError{Field: "DeduplicationPeriod", Reason: fmt.Sprintf("%v is negative", c.DeduplicationPeriod)}
	}
	return nil
}

// ErrInvalidConfig is what a ConfigError wraps.
var ErrInvalidConfig = errors.New("invalid participant node config")

// ConfigError names the Config field that is invalid.
type ConfigError struct {
	Field, Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%v: %s: %s", ErrInvalidConfig, e.Field, e.Reason)
}

// Unwrap returns ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// Node is a running participant: the participant's engine and database behind the
// member runtime (package member), which follows the stream and sends the outbox.
type Node struct {
	cfg    Config
	log    *slog.Logger
	rt     *member.Runtime[engine.Send, store.Step]
	client *driver.Client
	stop   sync.Once

	store     *store.Store
	ownsStore bool

	mu   sync.Mutex // the runtime's lock: held while an event is applied
	topo *topology.State
	eng  *engine.Engine
	// submissions are this node's requests by message id until their receipt is on the
	// stream; then waiters has them by request id (sequencing time) until the verdict.
	submissions map[string]chan engine.Completion
	waiters     map[int64]chan engine.Completion
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
	// acs tracks the ACS commitments; acsOutcomes are the recent comparisons (bounded).
	acs         *commitments.Tracker
	acsOutcomes []commitments.Outcome
	acsIgnored  []IgnoredCommitment // recent received commitments that did not count
	snapCheck   *snapshotCheck      // the verification of the snapshot rebuilt from
	imported    struct {
		contracts int
		next      int64
	}
	// lifetime ends when the node stops: asynchronous submissions wait under it.
	lifetime context.Context
	endLife  context.CancelFunc
	repl     replication // party replication (party_replication.go)
}

// Start connects, loads the topology and the node's database, and follows the stream
// from the first event the database has not applied (counter 0 for an empty one: the
// node then rebuilds its state from the chain, sending only what is still missing).
func Start(ctx context.Context, cfg Config) (n *Node, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	n = &Node{cfg: cfg, log: cfg.Logger, store: cfg.Store, metrics: newMetrics(cfg.Registerer),
		submissions: map[string]chan engine.Completion{}, waiters: map[int64]chan engine.Completion{},
		completions: map[int64]engine.Completion{}, changeOf: map[int64]string{}, sending: map[string]struct{}{}}
	if n.store == nil {
		if n.store, err = store.Open("", cfg.Logger); err != nil {
			return nil, err
		}
		n.ownsStore = true
	}
	node := n // n is nil when Start fails
	defer func() {
		if err != nil && node.ownsStore {
			node.store.Close()
		}
	}()
	n.lifetime, n.endLife = context.WithCancel(context.Background())
	rc := member.Config{Driver: cfg.Driver, Role: "participant", Logger: cfg.Logger, Lock: &n.mu,
		Received: func(ev *pb.SequencedEvent) { n.metrics.knowHeight(ev.Height) }}
	if n.rt, err = member.Start(ctx, rc, n.setup); err != nil {
		n.endLife()
		return nil, err
	}
	return n, nil
}

// setup binds and loads the database and restores the engine from it (member.Setup).
func (n *Node) setup(ctx context.Context, rt *member.Runtime[engine.Send, store.Step], ts *driver.TopologyState) (member.Handler[engine.Send, store.Step], member.Store[engine.Send, store.Step], member.Position[engine.Send], error) {
	var none member.Position[engine.Send]
	n.rt, n.client, n.topo = rt, rt.Client(), ts.State
	if err := n.store.Bind(store.Identity{Participant: n.cfg.Driver.Member, SynchronizerID: n.client.SynchronizerID()}); err != nil {
		return nil, nil, none, err
	}
	if err := n.importForeignSnapshot(ctx); err != nil {
		return nil, nil, none, err
	}
	st, err := n.store.Load()
	if err != nil {
		return nil, nil, none, err
	}
	if n.eng, err = engine.Restore(n.engineConfig(), st.ACS, st.Engine); err != nil {
		return nil, nil, none, err
	}
	n.acs = commitments.New(n.cfg.Driver.Member, st.ACS, st.Commitments)
	n.changes, n.completionEnd = st.Changes, st.CompletionEnd
	for id, c := range n.changes {
		if !c.Done && c.RequestID != 0 {
			n.changeOf[c.RequestID] = id
		}
	}
	if err := n.setupReplication(st.NextCounter); err != nil {
		return nil, nil, none, err
	}
	if n.cfg.VerifySnapshot != nil {
		if err := n.startSnapshotCheck(n.cfg.VerifySnapshot, st.NextCounter); err != nil {
			return nil, nil, none, err
		}
	}
	n.metrics.knowHeight(ts.Height)
	pos := member.Position[engine.Send]{Next: st.NextCounter}
	for _, id := range slices.Sorted(maps.Keys(st.Outbox)) {
		pos.Outbox = append(pos.Outbox, member.Message[engine.Send]{ID: id, Msg: st.Outbox[id]})
	}
	return handler{n}, storeAdapter{n.store}, pos, nil
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
		n.endLife()
		n.rt.Stop()
		if n.ownsStore {
			n.store.Close()
		}
	})
}

// handler is the node's side of the member runtime: the engine applies each event and
// seals the responses it decided.
type handler struct{ n *Node }

func (h handler) Open(ev *pb.SequencedEvent) any { return h.n.eng.Open(ev) }

func (h handler) NextDeadline() (int64, bool) { return h.n.eng.NextDeadline() }

func (h handler) Seal(m member.Message[engine.Send]) (*pb.Batch, driver.SendOptions, bool, error) {
	if m.Msg.To != "" { // an ACS commitment: in the clear, to its counter-participant only
		env := &pb.Envelope{Recipients: []*pb.Recipient{{Member: m.Msg.To}}, Content: m.Msg.Signed}
		return &pb.Batch{Envelopes: []*pb.Envelope{env}}, driver.SendOptions{}, false, nil
	}
	b, err := h.n.eng.SealSend(m.Msg)
	return b, driver.SendOptions{}, false, err
}

func (h handler) Apply(ev *pb.SequencedEvent, opened any) (member.Applied[engine.Send, store.Step], error) {
	n := h.n
	var none member.Applied[engine.Send, store.Step]
	imported := n.applyImports(ev) // party imports at a tick before this event
	imported = append(imported, n.offboard(ev.TimestampMicros)...)
	// A reconciliation tick before this event: commit to the state as of the tick.
	sends, outcomes, acsChanged, err := n.tickCommitments(ev.TimestampMicros)
	if err != nil {
		return none, err
	}
	n.captureExport(ev, acsChanged)
	var mark *store.TickMark
	if acsChanged {
		mark = n.tickMark(ev)
	}
	if err := n.eng.StepOpened(ev, opened.(engine.Opened)); err != nil {
		return none, err
	}
	rd := n.eng.Ready()
	for _, u := range rd.Updates {
		n.acs.Apply(u.Created, u.Archived)
	}
	received, ignored := n.receiveCommitments(ev)
	outcomes = append(outcomes, received...)
	acsChanged = acsChanged || len(received) > 0 || ignored > 0
	if err := n.snapshotFailed(); err != nil {
		return none, err
	}
	a := member.Applied[engine.Send, store.Step]{State: store.Step{
		Updates: append(imported, rd.Updates...), PendingAdded: rd.PendingAdded, PendingRemoved: rd.PendingRemoved, RootsAdded: rd.RootsAdded,
		Changes: n.trackCommand(ev, rd.Completions), Completions: n.completionsOf(rd.Completions),
		Tick: mark, Outcomes: outcomes,
	}}
	if acsChanged || len(imported) > 0 {
		st := n.acs.State()
		a.State.Commitments = &st
	}
	for _, s := range rd.Sends {
		a.Send = append(a.Send, member.Message[engine.Send]{ID: s.MessageID, Msg: s})
	}
	a.Send = append(a.Send, sends...)
	a.Then = func() {
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
		n.reportCommitments(outcomes)
		n.metrics.stepped(n.progress())
	}
	return a, nil
}

// storeAdapter commits the runtime's steps to the participant's database.
type storeAdapter struct{ s *store.Store }

func (a storeAdapter) Commit(st member.Step[engine.Send, store.Step]) error {
	s := st.State
	s.Counter, s.OutboxDel = st.Counter, st.OutboxDel
	for _, m := range st.OutboxAdd {
		s.OutboxAdd = append(s.OutboxAdd, m.Msg)
	}
	return a.s.Apply(s)
}

// notifyLocked wakes the waiters of await (called under n.mu).
func (n *Node) notifyLocked() { n.rt.NotifyLocked() }

// await waits, event by event, until pred (called under the lock) holds.
func (n *Node) await(ctx context.Context, pred func() bool) error { return n.rt.Await(ctx, pred) }

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
