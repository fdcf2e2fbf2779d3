package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/metricshttp"
	"github.com/cometsync/cometsync/mediator"
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
	Logger     *slog.Logger
	// Registerer receives the process's metrics; nil keeps them in a registry of the
	// process's own (Node.Metrics).
	Registerer prometheus.Registerer
	// MetricsAddress, when set (host:port), serves the metrics at /metrics from the
	// start of the process to its Stop.
	MetricsAddress string
}

// Node is the mediator's I/O shell around its core: it follows the mediator's stream
// from counter 0 (topology through topology.State.Follow, requests and responses through
// the Intake into the Core) and sends the verdicts. Its state is rebuilt from the chain at
// every start; verdicts carry deterministic message ids, so a replayed verdict that was
// already sequenced is deduplicated by the sequencer.
type Node struct {
	client  *driver.Client
	cancel  context.CancelFunc
	done    chan struct{}
	mu      *sync.Mutex
	topo    *topology.State
	next    int64         // the next counter of the stream to apply
	changed chan struct{} // closed and replaced after every event
	metrics *processMetrics
	http    *metricshttp.Server // nil when the metrics are not served
}

// StartNode connects, registers the mediator's encryption key on-chain when needed and
// starts following the stream.
func StartNode(ctx context.Context, cfg NodeConfig) (*Node, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c, err := driver.New(cfg.Driver, log)
	if err != nil {
		return nil, err
	}
	if err := c.Connect(ctx); err != nil {
		return nil, err
	}
	ts, err := c.DownloadTopologyState(ctx)
	if err != nil {
		return nil, err
	}
	topo := ts.State
	core, err := mediator.NewCore(mediator.Config{Mediator: cfg.Driver.Member, SynchronizerID: c.SynchronizerID(), Topology: mediator.OnChain{State: topo}, Verifier: mediator.OnChain{State: topo}, Logger: log})
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	p := &Node{client: c, done: make(chan struct{}), mu: &mu, topo: topo, changed: make(chan struct{}), metrics: newProcessMetrics(cfg.Registerer)}
	p.metrics.knowHeight(ts.Height)
	if cfg.MetricsAddress != "" {
		if p.http, err = metricshttp.Listen(cfg.MetricsAddress, p.gatherer(cfg.Registerer), log); err != nil {
			c.Close()
			return nil, err
		}
	}
	lctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	intake := mediator.Intake{
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
	ob := &outbox{pending: map[string]signedResult{}, sent: map[string]bool{}}
	// A time proof: its receipt is sequenced after the height the process starts from, so
	// it learns it has caught up even when no one sends it anything.
	if err := c.RequestTimeProof(ctx); err != nil {
		c.Close()
		p.closeMetrics()
		return nil, fmt.Errorf("send the catch-up marker: %w", err)
	}
	go func() {
		defer close(p.done)
		err := c.Subscribe(lctx, 0, func(ctx context.Context, ev *pb.SequencedEvent) error {
			p.metrics.knowHeight(ev.Height)
			mu.Lock()
			defer mu.Unlock()
			rd, err := step(cfg.Driver.SigningKey, topo, core, intake, ev, ob)
			if err != nil {
				return err
			}
			p.next = ev.Counter + 1
			close(p.changed)
			p.changed = make(chan struct{})
			ob.live = ob.live || ev.Height >= ts.Height
			if ob.live {
				ob.flush(ctx, c, topo, log)
			}
			p.metrics.stepped(ev.Height, rd, ob.live, core.PendingCount(), len(ob.pending))
			return nil
		})
		if err != nil && lctx.Err() == nil {
			log.Error("mediator stream ended", "err", err)
		}
	}()
	// A request whose confirmers are silent times out at the first event after its
	// decision time: ask for one when none comes.
	go c.WatchDeadlines(lctx, func() driver.Deadline {
		mu.Lock()
		defer mu.Unlock()
		at, pending := core.NextDeadline()
		seen, _ := core.LastTimestamp()
		return driver.Deadline{At: at, Seen: seen, Pending: pending, Live: ob.live}
	})
	if err := p.register(ctx, &mu, topo, cfg); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

// outbox holds the verdicts decided but not yet seen sequenced. While the process
// replays history it only collects (a verdict's receipt comes later in the stream);
// once it has caught up it sends what is left, so a restart sends nothing twice.
type outbox struct {
	pending map[string]signedResult // by message id, until the receipt is on the stream
	sent    map[string]bool         // handed to the driver (which resubmits until the receipt)
	live    bool
}

// signedResult is a verdict signed but not sealed yet: it is sealed only when sent, so a
// replay, which finds nearly every verdict already sequenced, does no encryption.
type signedResult struct {
	r      mediator.Result
	signed []byte
}

func (o *outbox) flush(ctx context.Context, c *driver.Client, topo *topology.State, log *slog.Logger) {
	for id, sr := range o.pending {
		if o.sent[id] {
			continue
		}
		// A verdict counts only until the request's deadline (the participants time the
		// request out after it): it is sent with the deadline as its max sequencing
		// time, and not at all once the deadline has passed.
		req := sr.r.Result.RequestIdMicros
		deadline := time.UnixMicro(topo.SnapshotAt(req).ProtocolParameters().Deadline(req))
		if time.Now().After(deadline) {
			log.Debug("verdict too late to send", "message_id", id, "deadline", deadline)
			delete(o.pending, id)
			continue
		}
		env, err := mediator.SealResult(sr.r, sr.signed, topology.EncryptionKeysOf{Snapshot: topo.Head()})
		if err != nil {
			log.Error("seal verdict", "message_id", id, "err", err)
			continue
		}
		if _, err := c.Send(ctx, &pb.Batch{Envelopes: []*pb.Envelope{env}}, driver.SendOptions{MessageID: id, MaxSequencingTime: deadline}); err != nil {
			if !errors.Is(err, context.Canceled) {
				log.Warn("send verdict", "message_id", id, "err", err)
			}
			continue
		}
		o.sent[id] = true
	}
}

// step applies ev and returns what the core produced for it.
func step(key crypto.SigningPrivateKey, topo *topology.State, core *mediator.Core, in mediator.Intake, ev *pb.SequencedEvent, ob *outbox) (mediator.Ready, error) {
	if _, err := topo.Follow(ev); err != nil {
		return mediator.Ready{}, fmt.Errorf("topology diverged: %w", err)
	}
	if ev.MessageId != "" {
		delete(ob.pending, ev.MessageId)
		delete(ob.sent, ev.MessageId)
	}
	for _, e := range in.Events(ev) {
		if err := core.Step(e); err != nil {
			return mediator.Ready{}, err
		}
	}
	rd := core.Ready()
	core.Advance()
	for _, r := range rd.Results {
		signed, err := protocol.SignResult(key, r.Result)
		if err != nil {
			return mediator.Ready{}, err
		}
		b, err := signed.Marshal()
		if err != nil {
			return mediator.Ready{}, err
		}
		ob.pending[r.MessageID()] = signedResult{r: r, signed: b}
	}
	return rd, nil
}

func (p *Node) register(ctx context.Context, mu *sync.Mutex, topo *topology.State, cfg NodeConfig) error {
	mem, err := crypto.ParseMember(cfg.Driver.Member)
	if err != nil {
		return err
	}
	mu.Lock()
	b, err := topology.KeyRegistration(topo, mem, cfg.Driver.SigningKey, cfg.EncryptionKey.Public())
	mu.Unlock()
	if err != nil || len(b.Envelopes) == 0 {
		return err
	}
	_, err = p.client.SendAndWait(ctx, b, driver.SendOptions{})
	return err
}

// Topology returns the hash of the mediator's topology state and the next counter of its
// stream it will apply: members that applied their streams up to the same topology
// transactions hold the same state.
func (p *Node) Topology() (hash []byte, next int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.topo.Hash(), p.next
}

// WaitTopology waits, event by event, until the mediator's topology state hash is want.
func (p *Node) WaitTopology(ctx context.Context, want []byte) error {
	for {
		p.mu.Lock()
		ok, ch := bytes.Equal(p.topo.Hash(), want), p.changed
		p.mu.Unlock()
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

// Stop ends the process (and its metrics server).
func (p *Node) Stop() {
	p.cancel()
	p.client.Close()
	<-p.done
	p.closeMetrics()
}

// Metrics returns the registry holding the process's metrics when it was started
// without a Registerer (nil otherwise: they are in the configured one).
func (p *Node) Metrics() *prometheus.Registry { return p.metrics.reg }

// MetricsURL is where the process serves its metrics ("" when it does not).
func (p *Node) MetricsURL() string {
	if p.http == nil {
		return ""
	}
	return p.http.URL()
}

// gatherer is what the metrics server serves: the process's own registry, or the
// configured registerer when it is also a gatherer, with the runtime metrics.
func (p *Node) gatherer(r prometheus.Registerer) prometheus.Gatherer {
	if p.metrics.reg != nil {
		return metricshttp.WithRuntime(p.metrics.reg)
	}
	if g, ok := r.(prometheus.Gatherer); ok {
		return metricshttp.WithRuntime(g)
	}
	return prometheus.DefaultGatherer
}

func (p *Node) closeMetrics() {
	if p.http != nil {
		_ = p.http.Close() // it only fails for scrapes cut short
	}
}
