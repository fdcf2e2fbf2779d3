package apitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/app/api"
)

// ErrStopped is returned by Submit after Stop.
var ErrStopped = errors.New("test backend stopped")

// ErrMempoolFull is returned by Submit while Config.MaxMempool submissions wait.
var ErrMempoolFull = errors.New("test backend mempool is full")

// Config tunes a Backend.
type Config struct {
	// SequencerID is what SequencerID returns.
	SequencerID string
	// AutoCommit commits a block after every admitted submission.
	AutoCommit bool
	// Clock gives block times; nil means time.Now. Two backends with the same genesis,
	// the same clock readings and the same submissions reach identical states.
	Clock func() time.Time
	// MaxMempool, when positive, is how many submissions the mempool holds: beyond,
	// Submit fails with ErrMempoolFull until the next commit.
	MaxMempool int
}

// Backend is an in-memory api.Backend over the real sequencer machine. It is safe for
// concurrent use.
type Backend struct {
	machine *core.Machine
	cfg     Config

	mu      sync.RWMutex // write-locked while state changes; read-locked by snapshots
	state   *core.MemReader
	mempool [][]byte
	notify  chan struct{}
	drop    int
	dropped int
	stopped bool

	refusedFull int           // Submit calls refused with ErrMempoolFull
	fullCh      chan struct{} // signaled (without blocking) at each such refusal
}

// NewBackend returns a backend initialized with genesis g.
func NewBackend(g *core.Genesis, cfg Config) (*Backend, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	st := core.NewMemReader()
	st.Apply(core.InitGenesis(g))
	m, err := core.LoadMachine(st)
	if err != nil {
		return nil, fmt.Errorf("load machine: %w", err)
	}
	return &Backend{machine: m, cfg: cfg, state: st, notify: make(chan struct{}), fullCh: make(chan struct{}, 1)}, nil
}

func (b *Backend) now() time.Time {
	if b.cfg.Clock != nil {
		return b.cfg.Clock()
	}
	return time.Now()
}

// SynchronizerID implements api.Backend.
func (b *Backend) SynchronizerID() string { return b.machine.Genesis().SynchronizerID }

// SequencerID implements api.Backend.
func (b *Backend) SequencerID() string { return b.cfg.SequencerID }

// Machine implements api.Backend.
func (b *Backend) Machine() *core.Machine { return b.machine }

// SubmitFailure implements api.Backend: ErrMempoolFull is a full mempool, every other
// error a node failure.
func (b *Backend) SubmitFailure(err error) api.SubmitFailure {
	if errors.Is(err, ErrMempoolFull) {
		return api.FailureMempoolFull
	}
	return api.FailureNode
}

// Submit implements api.Backend: it runs Machine.Check and, when admitted, adds tx to the
// mempool (a tx already in the mempool is accepted again without effect). While drops are
// pending (DropNextSubmissions) an admitted tx is silently lost instead.
func (b *Backend) Submit(_ context.Context, tx []byte, _ *core.Submission) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return ErrStopped
	}
	if _, err := b.machine.Check(b.state, tx, b.now().UnixMicro()); err != nil {
		return err
	}
	if b.drop > 0 {
		b.drop--
		b.dropped++
		return nil
	}
	for _, p := range b.mempool {
		if bytes.Equal(p, tx) {
			return nil
		}
	}
	if b.cfg.MaxMempool > 0 && len(b.mempool) >= b.cfg.MaxMempool {
		b.refusedFull++
		select {
		case b.fullCh <- struct{}{}:
		default:
		}
		return ErrMempoolFull
	}
	b.mempool = append(b.mempool, bytes.Clone(tx))
	if b.cfg.AutoCommit {
		_, err := b.commitLocked()
		return err
	}
	return nil
}

// Commit executes the mempool as the next block, applies it and wakes subscribers. It
// commits an empty block when the mempool is empty (time moves on).
func (b *Backend) Commit() (*core.Outcome, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.commitLocked()
}

func (b *Backend) commitLocked() (*core.Outcome, error) {
	meta, err := core.ReadMeta(b.state)
	if err != nil {
		return nil, err
	}
	blk := core.Block{Height: meta.Height + 1, TimeMicros: b.now().UnixMicro(), Txs: b.mempool}
	out, err := b.machine.Execute(b.state, blk)
	if err != nil {
		return nil, fmt.Errorf("execute block %d: %w", blk.Height, err)
	}
	b.state.Apply(out.Writes)
	b.mempool = nil
	close(b.notify)
	b.notify = make(chan struct{})
	return out, nil
}

// Batches implements api.Backend: nil, the server keeps its own cache (filled from the
// state it reads), so that tests of this backend exercise that path.
func (b *Backend) Batches() *core.BatchCache { return nil }

// Snapshot implements api.Backend. Commits wait until release is called.
func (b *Backend) Snapshot() (core.Reader, func()) {
	b.mu.RLock()
	var once sync.Once
	return b.state, func() { once.Do(b.mu.RUnlock) }
}

// CommitNotify implements api.Backend.
func (b *Backend) CommitNotify() <-chan struct{} {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.notify
}

// LastCommittedTimeMicros implements api.Backend.
func (b *Backend) LastCommittedTimeMicros() int64 {
	b.mu.RLock()
	defer b.mu.RUnlock()
	meta, err := core.ReadMeta(b.state)
	if err != nil {
		return 0
	}
	return meta.LastTimestampMicros
}

// DropNextSubmissions makes the next n admitted submissions vanish after Submit
// returned success, as a CometBFT mempool may drop a tx after CheckTx.
func (b *Backend) DropNextSubmissions(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.drop = n
}

// Dropped returns how many submissions were silently dropped so far.
func (b *Backend) Dropped() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.dropped
}

// RefusedFull returns how many Submit calls were refused with ErrMempoolFull so far.
func (b *Backend) RefusedFull() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.refusedFull
}

// MempoolFullRefusals is signaled after Submit refused with ErrMempoolFull (signals of
// refusals nobody received yet merge into one).
func (b *Backend) MempoolFullRefusals() <-chan struct{} { return b.fullCh }

// Mempool returns the number of submissions waiting for the next Commit.
func (b *Backend) Mempool() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.mempool)
}

// DeleteEvent removes entry counter of member's stream from the committed state, so that
// readers see a gap there. It simulates a faulty or pruned node.
func (b *Backend) DeleteEvent(member string, counter int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	ws, err := core.RemoveEvent(b.state, member, counter)
	if err != nil {
		return fmt.Errorf("remove event %d of %s: %w", counter, member, err)
	}
	b.state.Apply(ws)
	return nil
}

// NextCounter returns the counter member's next event will get.
func (b *Backend) NextCounter(member string) (int64, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return core.NextCounter(b.state, member)
}

// Stop makes every later Submit fail with ErrStopped (a node going down).
func (b *Backend) Stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopped = true
}

// MempoolTxs returns copies of the submissions waiting for the next Commit.
func (b *Backend) MempoolTxs() [][]byte {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([][]byte, len(b.mempool))
	for i, tx := range b.mempool {
		out[i] = bytes.Clone(tx)
	}
	return out
}

// Inject commits a block of exactly txs, bypassing CheckTx and the mempool, as when a
// proposer includes a transaction twice or one this node never admitted.
func (b *Backend) Inject(txs ...[]byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	saved := b.mempool
	b.mempool = txs
	_, err := b.commitLocked()
	b.mempool = saved
	return err
}
