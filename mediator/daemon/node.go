package daemon

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/metricshttp"
	"github.com/cometsync/cometsync/mediator"
	"github.com/cometsync/cometsync/mediator/store"
	"github.com/cometsync/cometsync/member"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/protocol"
	"github.com/cometsync/cometsync/topology"
)

// NodeConfig configures a running mediator.
type NodeConfig struct {
	Driver        driver.Config
	EncryptionKey crypto.EncryptionPrivateKey
	// Decryption, when set, finds older (rotated) encryption keys by fingerprint, so that
	// a replay still opens history encrypted to them.
	Decryption func(crypto.Fingerprint) (crypto.EncryptionPrivateKey, bool)
	// Store is the mediator's database; nil keeps the state in an in-memory database
	// (the mediator then rebuilds it from the chain on every start).
	Store  *store.Store
	Logger *slog.Logger
	// Registerer receives the node's metrics; nil keeps them in a registry of the
	// node's own (Node.Metrics).
	Registerer prometheus.Registerer
	// MetricsAddress, when set (host:port), serves the metrics at /metrics from the
	// start of the node to its Stop.
	MetricsAddress string
}

// Validate checks the configuration.
func (c NodeConfig) Validate() error {
	if err := c.Driver.Validate(); err != nil {
		return &ConfigError{Field: "Driver", Reason: err.Error()}
	}
	if c.EncryptionKey.Scheme == "" {
		return &ConfigError{Field: "EncryptionKey", Reason: "not set"}
	}
	return nil
}

// Node is the mediator's core and database behind the member runtime (package member):
// the runtime follows the mediator's stream from the first event the database has not
// applied (topology through topology.State.Follow, requests and responses through the
// Intake into the Core), commits each event's effects (the core's changed requests, its
// audit records and the verdicts decided) and sends the verdicts once caught up. An empty
// database rebuilds everything from counter 0; verdicts carry deterministic message ids,
// so a verdict decided again on replay that was already sequenced is deduplicated.
type Node struct {
	rt        *member.Runtime[store.Verdict, store.Change]
	mu        sync.Mutex // the runtime's lock
	core      *mediator.Core
	intake    mediator.Intake
	key       crypto.SigningPrivateKey
	store     *store.Store
	ownsStore bool
	resumed   int64 // the counter the node resumed from
	metrics   *processMetrics
	http      *metricshttp.Server // nil when the metrics are not served
	stop      sync.Once
}

// StartNode opens the database when none is given, connects, restores the core from the
// database, starts following the stream and registers the mediator's encryption key
// on-chain when needed.
func StartNode(ctx context.Context, cfg NodeConfig) (n *Node, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n = &Node{key: cfg.Driver.SigningKey, store: cfg.Store, metrics: newProcessMetrics(cfg.Registerer)}
	if n.store == nil {
		if n.store, err = store.Open("", log); err != nil {
			return nil, err
		}
		n.ownsStore = true
	}
	// The returns below set n to nil on failure: clean up through this copy.
	self := n
	defer func() {
		if err != nil {
			self.closeMetrics()
			if self.rt != nil {
				self.rt.Stop()
			}
			if self.ownsStore {
				self.store.Close()
			}
		}
	}()
	if cfg.MetricsAddress != "" {
		if n.http, err = metricshttp.Listen(cfg.MetricsAddress, n.gatherer(cfg.Registerer), log); err != nil {
			return nil, err
		}
	}
	setup := func(_ context.Context, rt *member.Runtime[store.Verdict, store.Change], ts *driver.TopologyState) (member.Handler[store.Verdict, store.Change], member.Store[store.Verdict, store.Change], member.Position[store.Verdict], error) {
		return n.setup(rt, ts, cfg, log)
	}
	rc := member.Config{Driver: cfg.Driver, Role: "mediator", Logger: log, Lock: &n.mu,
		Received: func(ev *pb.SequencedEvent) { n.metrics.knowHeight(ev.Height) }}
	if n.rt, err = member.Start(ctx, rc, setup); err != nil {
		return nil, err
	}
	if err = n.register(ctx, cfg); err != nil {
		return nil, err
	}
	return n, nil
}

// setup binds and loads the database and restores the core from it (member.Setup).
func (n *Node) setup(rt *member.Runtime[store.Verdict, store.Change], ts *driver.TopologyState, cfg NodeConfig, log *slog.Logger) (member.Handler[store.Verdict, store.Change], member.Store[store.Verdict, store.Change], member.Position[store.Verdict], error) {
	var none member.Position[store.Verdict]
	n.rt = rt
	c := rt.Client()
	if err := n.store.Bind(store.Identity{Mediator: cfg.Driver.Member, SynchronizerID: c.SynchronizerID()}); err != nil {
		return nil, nil, none, err
	}
	st, err := n.store.Load()
	if err != nil {
		return nil, nil, none, err
	}
	topo := ts.State
	ccfg := mediator.Config{Mediator: cfg.Driver.Member, SynchronizerID: c.SynchronizerID(), Topology: mediator.OnChain{State: topo}, Verifier: mediator.OnChain{State: topo}, Logger: log}
	if n.core, err = mediator.Restore(ccfg, st.Core); err != nil {
		return nil, nil, none, fmt.Errorf("restore the mediator from its database: %w", err)
	}
	n.intake = mediator.Intake{
		Mediator: cfg.Driver.Member,
		Decryption: func(fp crypto.Fingerprint) (crypto.EncryptionPrivateKey, bool) {
			if cfg.EncryptionKey.Public().Fingerprint() == fp {
				return cfg.EncryptionKey, true
			}
			if cfg.Decryption != nil {
				return cfg.Decryption(fp)
			}
			return crypto.EncryptionPrivateKey{}, false
		},
		DecisionTimeout: func(at int64) int64 {
			return topo.SnapshotAt(at).ProtocolParameters().DecisionTimeout.Microseconds()
		},
	}
	n.resumed = st.Next
	n.metrics.knowHeight(ts.Height)
	if st.Next > 0 {
		log.Info("mediator resumes from its database", "next_counter", st.Next, "pending_requests", n.core.PendingCount(), "outbox", len(st.Outbox))
	}
	return handler{n: n, topo: topo}, n.store, member.Position[store.Verdict]{Next: st.Next, Outbox: st.Outbox}, nil
}

// handler is the node's side of the member runtime.
type handler struct {
	n    *Node
	topo *topology.State
}

// Open does nothing ahead of time: the mediator's events are small, and their intake
// needs the topology at the event's time.
func (handler) Open(*pb.SequencedEvent) any { return nil }

// NextDeadline serves the core's time proofs (Ready.TimeProofs): the earliest decision
// time of an undecided request, which covers the requests restored from the database
// too.
func (h handler) NextDeadline() (int64, bool) { return h.n.core.NextDeadline() }

// Apply feeds the event's requests and responses to the core and signs the verdicts it
// decided; they are sealed only when sent, so a replay, which finds nearly every verdict
// already sequenced, does no encryption.
func (h handler) Apply(ev *pb.SequencedEvent, _ any) (member.Applied[store.Verdict, store.Change], error) {
	n := h.n
	var a member.Applied[store.Verdict, store.Change]
	for _, e := range n.intake.Events(ev) {
		if err := n.core.Step(e); err != nil {
			return a, err
		}
	}
	rd := n.core.Ready()
	n.core.Advance()
	for _, r := range rd.Results {
		signed, err := protocol.SignResult(n.key, r.Result)
		if err != nil {
			return a, err
		}
		b, err := signed.Marshal()
		if err != nil {
			return a, err
		}
		a.Send = append(a.Send, member.Message[store.Verdict]{ID: r.MessageID(), Msg: store.Verdict{Result: r, Signed: b}})
	}
	a.State = store.Change{Meta: n.core.Meta(), Changed: rd.Changed, Forgotten: rd.Forgotten, Records: rd.Records}
	a.Then = func() {
		p := n.rt.ProgressLocked()
		n.metrics.stepped(ev.Height, rd, p.Live, n.core.PendingCount(), p.Outbox)
	}
	return a, nil
}

// Seal seals a verdict to its recipients with the current encryption keys. A verdict
// counts only until the request's deadline (the participants time the request out after
// it): it is sent with the deadline as its max sequencing time, and not at all once the
// deadline has passed on the wall clock.
func (h handler) Seal(m member.Message[store.Verdict]) (*pb.Batch, driver.SendOptions, bool, error) {
	req := m.Msg.Result.Result.RequestIdMicros
	deadline := time.UnixMicro(h.topo.SnapshotAt(req).ProtocolParameters().Deadline(req))
	if time.Now().After(deadline) {
		return nil, driver.SendOptions{}, true, nil
	}
	env, err := mediator.SealResult(m.Msg.Result, m.Msg.Signed, topology.EncryptionKeysOf{Snapshot: h.topo.Head()})
	if err != nil {
		return nil, driver.SendOptions{}, false, err
	}
	return &pb.Batch{Envelopes: []*pb.Envelope{env}}, driver.SendOptions{MaxSequencingTime: deadline}, false, nil
}

func (n *Node) register(ctx context.Context, cfg NodeConfig) error {
	mem, err := crypto.ParseMember(cfg.Driver.Member)
	if err != nil {
		return err
	}
	n.mu.Lock()
	b, err := topology.KeyRegistration(n.rt.Topology(), mem, cfg.Driver.SigningKey, cfg.EncryptionKey.Public())
	n.mu.Unlock()
	if err != nil || len(b.Envelopes) == 0 {
		return err
	}
	_, err = n.rt.Client().SendAndWait(ctx, b, driver.SendOptions{})
	return err
}

// ResumedFrom is the counter of the stream the node started from: 0 when it rebuilt
// its state from the chain, the database's next counter otherwise.
func (n *Node) ResumedFrom() int64 { return n.resumed }

// WaitProgress waits, event by event, until cond holds; it fails when the node's stream
// stopped with an error.
func (n *Node) WaitProgress(ctx context.Context, cond func(member.Progress) bool) error {
	var failed error
	err := n.rt.Await(ctx, func() bool {
		failed = n.rt.ErrLocked()
		return failed != nil || cond(n.rt.ProgressLocked())
	})
	if err == nil && failed != nil {
		return failed
	}
	return err
}

// Pending is the number of requests awaiting their decision.
func (n *Node) Pending() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.core.PendingCount()
}

// Progress is where the node's stream stands.
func (n *Node) Progress() member.Progress {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.rt.ProgressLocked()
}

// Topology returns the hash of the mediator's topology state and the next counter of its
// stream it will apply: members that applied their streams up to the same topology
// transactions hold the same state.
func (n *Node) Topology() (hash []byte, next int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.rt.Topology().Hash(), n.rt.ProgressLocked().Next
}

// WaitTopology waits, event by event, until the mediator's topology state hash is want.
func (n *Node) WaitTopology(ctx context.Context, want []byte) error {
	return n.rt.Await(ctx, func() bool { return bytes.Equal(n.rt.Topology().Hash(), want) })
}

// Stop ends the node (its stream and metrics server, and the database if the node
// opened it).
func (n *Node) Stop() {
	n.stop.Do(func() {
		n.rt.Stop()
		n.closeMetrics()
		if n.ownsStore {
			n.store.Close()
		}
	})
}

// Metrics returns the registry holding the process's metrics when it was started
// without a Registerer (nil otherwise: they are in the configured one).
func (n *Node) Metrics() *prometheus.Registry { return n.metrics.reg }

// MetricsURL is where the process serves its metrics ("" when it does not).
func (n *Node) MetricsURL() string {
	if n.http == nil {
		return ""
	}
	return n.http.URL()
}

// gatherer is what the metrics server serves: the process's own registry, or the
// configured registerer when it is also a gatherer, with the runtime metrics.
func (n *Node) gatherer(r prometheus.Registerer) prometheus.Gatherer {
	if n.metrics.reg != nil {
		return metricshttp.WithRuntime(n.metrics.reg)
	}
	if g, ok := r.(prometheus.Gatherer); ok {
		return metricshttp.WithRuntime(g)
	}
	return prometheus.DefaultGatherer
}

func (n *Node) closeMetrics() {
	if n.http != nil {
		_ = n.http.Close() // it only fails for scrapes cut short
	}
}
