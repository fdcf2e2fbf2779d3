package participant

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/mediator"
	"github.com/cometsync/cometsync/participant/engine"
	"github.com/cometsync/cometsync/participant/protocol"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/topology"
)

// Config configures a participant node.
type Config struct {
	Driver        driver.Config
	EncryptionKey crypto.EncryptionPrivateKey
	Packages      *ledger.PackageSet
	// Mediators are the members of the mediator group the node submits to.
	Mediators     []string
	MediatorGroup uint32
	Tolerance     time.Duration
	Logger        *slog.Logger
}

// ErrRejected is returned by Submit when the transaction was rejected.
var ErrRejected = errors.New("transaction rejected")

// Node is a running participant.
type Node struct {
	cfg    Config
	log    *slog.Logger
	client *driver.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	topo    *topology.State
	eng     *engine.Engine
	live    bool
	outbox  map[string]*pb.Batch // decided sends without a receipt yet
	waiters map[int64]chan engine.Completion
	early   map[int64]engine.Completion
	updates []engine.Update
	changed chan struct{} // closed and replaced after every event
}

// Start connects, loads the topology, registers the node's keys on-chain when needed
// and starts following the stream from counter 0.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	client, err := driver.New(cfg.Driver, cfg.Logger)
	if err != nil {
		return nil, err
	}
	if err := client.Connect(ctx); err != nil {
		return nil, err
	}
	ts, err := client.DownloadTopologyState(ctx)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: cfg.Logger, client: client, topo: ts.State, outbox: map[string]*pb.Batch{},
		waiters: map[int64]chan engine.Completion{}, early: map[int64]engine.Completion{}, done: make(chan struct{}), changed: make(chan struct{})}
	if n.eng, err = engine.New(n.engineConfig(), nil); err != nil {
		return nil, err
	}
	lctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	go n.follow(lctx, ts.Height)
	return n, nil
}

func (n *Node) engineConfig() engine.Config {
	me := n.cfg.Driver.Member
	return engine.Config{
		Participant: me, SynchronizerID: n.client.SynchronizerID(), MediatorGroup: n.cfg.MediatorGroup,
		Packages: n.cfg.Packages, SigningKey: n.cfg.Driver.SigningKey,
		Decryption: func(fp crypto.Fingerprint) (crypto.EncryptionPrivateKey, bool) {
			return n.cfg.EncryptionKey, n.cfg.EncryptionKey.Public().Fingerprint() == fp
		},
		Hosting:         func(at int64) protocol.Hosting { return hosting{n.topo.SnapshotAt(at)} },
		Mediators:       mediator.OnChain{State: n.topo},
		MediatorMembers: func(int64) []string { return n.cfg.Mediators },
		Keys: func(at int64) protocol.EncryptionKeys {
			return topology.EncryptionKeysOf{Snapshot: n.topo.SnapshotAt(at)}
		},
		Tolerance: n.cfg.Tolerance,
	}
}

// Stop ends the node.
func (n *Node) Stop() {
	n.cancel()
	n.client.Close()
	<-n.done
}

// follow runs the subscription; the node is live once it reaches the height the
// topology was downloaded at.
func (n *Node) follow(ctx context.Context, startHeight int64) {
	defer close(n.done)
	err := n.client.Subscribe(ctx, 0, func(_ context.Context, ev *pb.SequencedEvent) error {
		return n.step(ctx, ev, ev.Height >= startHeight)
	})
	if err != nil && ctx.Err() == nil {
		n.log.Error("participant stream ended", "err", err)
	}
}

func (n *Node) step(ctx context.Context, ev *pb.SequencedEvent, live bool) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, err := n.topo.Follow(ev); err != nil {
		return fmt.Errorf("topology diverged: %w", err)
	}
	if err := n.eng.Step(ev); err != nil {
		return err
	}
	if ev.MessageId != "" {
		delete(n.outbox, ev.MessageId) // sequenced: its receipt is on the stream
	}
	rd := n.eng.Ready()
	for _, s := range rd.Sends {
		n.outbox[s.MessageID] = s.Batch
	}
	n.updates = append(n.updates, rd.Updates...)
	for _, c := range rd.Completions {
		if w, ok := n.waiters[c.RequestID]; ok {
			w <- c
			delete(n.waiters, c.RequestID)
		} else {
			n.early[c.RequestID] = c
		}
	}
	n.live = n.live || live
	if n.live {
		n.flush(ctx)
	}
	close(n.changed)
	n.changed = make(chan struct{})
	return nil
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

// flush sends the outbox; resubmission until the receipt is the driver's job.
func (n *Node) flush(ctx context.Context) {
	for id, b := range n.outbox {
		if _, err := n.client.Send(ctx, b, driver.SendOptions{MessageID: id}); err != nil {
			n.log.Warn("send failed", "message_id", id, "err", err)
			continue
		}
		delete(n.outbox, id)
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
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]engine.Update(nil), n.updates...)
}

func randomSeed() (s [32]byte) {
	_, _ = rand.Read(s[:])
	return s
}
