package abci

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/dgraph-io/badger/v4"

	"github.com/cometsync/cometsync/abci/core"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// AppVersion is reported in Info; it changes when the state machine's rules change.
const AppVersion uint64 = 1

var _ abcitypes.Application = (*App)(nil)

// App is the cometsync ABCI application. CometBFT calls it from its consensus, mempool,
// query and snapshot connections, each serialized on its own (the node uses CometBFT's
// per-connection local client, so CheckTx runs while a block executes). Consensus-only
// state (the pending outcome) is touched only by the consensus connection; the shared
// head is guarded by mu; the read accessors (Machine, Snapshot, CommitNotify, Meta) are
// safe from any goroutine.
type App struct {
	abcitypes.BaseApplication

	db     *badger.DB
	logger *slog.Logger
	now    func() time.Time

	mu       sync.RWMutex
	machine  *core.Machine
	meta     *pb.AppMeta
	pending  *core.Outcome
	notify   chan struct{}
	observer Observer
	failed   func(error) // told when executing or committing a block fails

	retainBlocks int64 // 0: keep every block

	// Pruning (see prune.go): commitMu orders a prune between two commits; pruneHeight
	// (under mu) is the recorded pruning height.
	commitMu        sync.Mutex
	pruneHeight     int64
	pruneSchedule   PruneSchedule
	lastPruneMicros int64       // consensus goroutine only
	compacting      atomic.Bool // compactAfterPrune runs

	decoded decodedTxs       // submissions decoded by the node's API, for CheckTx
	batches *core.BatchCache // the batches of recent blocks, decoded

	snapshots *snapshotStore // nil: no local snapshots
	restore   *restore       // state-sync restore in progress (snapshot connection only)

	refusePeers atomic.Bool // the node is stopping: CometBFT's peer filter turns peers away
}

// BatchCacheBytes bounds the decoded batches of recent blocks the application keeps for
// the subscriptions (by their encoded size): several seconds of full blocks, so that
// subscribers following the head never read a batch from the database.
const BatchCacheBytes = 64 << 20

// Observer is told what the application decided; the node uses it for metrics and logs.
// Its methods run on CometBFT's ABCI goroutine and must not block.
type Observer interface {
	CheckedTx(code seqapi.Code)
	Committed(o *core.Outcome)
}

// NewApp opens the application over db. A db that holds a genesis is resumed from its
// last committed block. A nil logger discards.
func NewApp(db *badger.DB, logger *slog.Logger) (*App, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &App{db: db, logger: logger, now: time.Now, notify: make(chan struct{}), batches: core.NewBatchCache(BatchCacheBytes)}
	finished, err := finishPendingBlock(db)
	if err != nil {
		return nil, err
	}
	if finished {
		logger.Info("finished applying a large block interrupted by the last stop")
	}
	if err := checkLayout(db); err != nil {
		return nil, err
	}
	r, release := Snapshot(db)
	defer release()
	meta, err := core.ReadMeta(r)
	if err != nil {
		return nil, err
	}
	a.meta = meta
	if err := a.loadPruneHeight(); err != nil {
		return nil, err
	}
	m, err := core.LoadMachine(r)
	switch {
	case errors.Is(err, core.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		a.machine = m
	}
	return a, nil
}

// SetRetainBlocks makes CometBFT prune blocks older than the last n (0 keeps all). A node
// that prunes can no longer rebuild a wiped application database from its own block
// store; it must state-sync instead. Call before the node starts.
func (a *App) SetRetainBlocks(n int64) { a.retainBlocks = n }

// SetFailureHandler installs f, told of an error of FinalizeBlock or Commit (the block
// cannot be executed or its outcome stored, so CometBFT's consensus halts): the node
// stops instead of staying up half-alive. Call before the node starts.
func (a *App) SetFailureHandler(f func(error)) { a.failed = f }

// failure reports err to the failure handler and returns it.
func (a *App) failure(err error) error {
	if a.failed != nil {
		a.failed(err)
	}
	return err
}

// SetObserver installs o; call before the node starts.
func (a *App) SetObserver(o Observer) { a.observer = o }

// Machine returns the state machine, or nil before InitChain.
func (a *App) Machine() *core.Machine {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.machine
}

// Meta returns a copy of the committed head.
func (a *App) Meta() *pb.AppMeta {
	a.mu.RLock()
	defer a.mu.RUnlock()
	c := *a.meta
	return &c
}

// Snapshot returns a consistent reader over committed state.
func (a *App) Snapshot() (core.Reader, func()) { return Snapshot(a.db) }

// CommitNotify returns a channel closed at the next commit.
func (a *App) CommitNotify() <-chan struct{} {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.notify
}

// Info reports the committed head so that CometBFT replays what is missing.
func (a *App) Info(_ context.Context, _ *abcitypes.RequestInfo) (*abcitypes.ResponseInfo, error) {
	meta := a.Meta()
	return &abcitypes.ResponseInfo{
		Data:             "cometsync",
		Version:          seqapi.ProtocolVersion,
		AppVersion:       AppVersion,
		LastBlockHeight:  meta.Height,
		LastBlockAppHash: meta.AppHash,
	}, nil
}

// InitChain stores the genesis app_state. It is idempotent: a wiped database gets it
// again when CometBFT replays from height 0.
func (a *App) InitChain(_ context.Context, req *abcitypes.RequestInitChain) (*abcitypes.ResponseInitChain, error) {
	g, err := core.ParseGenesis(req.AppStateBytes)
	if err != nil {
		return nil, err
	}
	var vals []core.ValidatorUpdate
	for _, v := range req.Validators {
		if k := v.PubKey.GetEd25519(); k != nil {
			vals = append(vals, core.ValidatorUpdate{PubKey: k, Power: v.Power})
		}
	}
	if err := applyWrites(a.db, append(core.InitGenesis(g), core.InitValidators(vals), layoutWrite())); err != nil {
		return nil, fmt.Errorf("store genesis: %w", err)
	}
	a.mu.Lock()
	a.machine = core.NewMachine(g)
	a.meta = &pb.AppMeta{}
	a.mu.Unlock()
	a.logger.Info("chain initialized", "synchronizer", g.SynchronizerID, "members", len(g.Members))
	return &abcitypes.ResponseInitChain{}, nil
}

// CheckTx admits a submission to the mempool when the core accepts it against committed
// state. The answer is advisory: FinalizeBlock validates again.
func (a *App) CheckTx(_ context.Context, req *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error) {
	m := a.Machine()
	if m == nil {
		return &abcitypes.ResponseCheckTx{Code: uint32(seqapi.CodeMalformed), Codespace: seqapi.Codespace, Log: "chain not initialized"}, nil
	}
	now := a.now().UnixMicro()
	if last := a.Meta().LastTimestampMicros; last > now {
		now = last
	}
	r, release := a.Snapshot()
	defer release()
	var err error
	if s := a.decoded.take(req.Tx); s != nil {
		err = m.CheckDecoded(r, s, now)
	} else {
		_, err = m.Check(r, req.Tx, now)
	}
	code := seqapi.CodeOK
	var rej *core.SubmissionError
	switch {
	case errors.As(err, &rej):
		code = rej.Code
	case err != nil:
		return nil, fmt.Errorf("check tx: %w", err)
	}
	if a.observer != nil {
		a.observer.CheckedTx(code)
	}
	if rej != nil {
		return &abcitypes.ResponseCheckTx{Code: uint32(code), Codespace: seqapi.Codespace, Log: rej.Reason}, nil
	}
	return &abcitypes.ResponseCheckTx{Code: 0}, nil
}

// FinalizeBlock executes the decided block and keeps its outcome for Commit.
func (a *App) FinalizeBlock(_ context.Context, req *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error) {
	m := a.Machine()
	if m == nil {
		return nil, a.failure(errors.New("finalize block before InitChain"))
	}
	r, release := a.Snapshot()
	defer release()
	out, err := m.Execute(r, core.Block{Height: req.Height, TimeMicros: req.Time.UnixMicro(), Txs: req.Txs})
	if err != nil {
		return nil, a.failure(fmt.Errorf("execute block %d: %w", req.Height, err))
	}
	a.pending = out
	res := &abcitypes.ResponseFinalizeBlock{AppHash: out.Meta.AppHash, TxResults: make([]*abcitypes.ExecTxResult, len(out.TxResults))}
	for i, tr := range out.TxResults {
		res.TxResults[i] = &abcitypes.ExecTxResult{Code: uint32(tr.Code), Log: tr.Log, Codespace: seqapi.Codespace}
	}
	for _, v := range out.ValidatorUpdates {
		res.ValidatorUpdates = append(res.ValidatorUpdates, abcitypes.UpdateValidator(v.PubKey, v.Power, "ed25519"))
	}
	if len(out.ValidatorUpdates) > 0 {
		a.logger.Info("validator set changed by the owners", "height", req.Height, "updates", len(out.ValidatorUpdates))
	}
	return res, nil
}

// Commit writes the finalized block's outcome and wakes the readers.
func (a *App) Commit(_ context.Context, _ *abcitypes.RequestCommit) (*abcitypes.ResponseCommit, error) {
	out := a.pending
	if out == nil {
		return nil, a.failure(errors.New("commit without a finalized block"))
	}
	a.commitMu.Lock()
	err := applyWrites(a.db, out.Writes)
	a.commitMu.Unlock()
	if err != nil {
		return nil, a.failure(fmt.Errorf("commit block %d: %w", out.Meta.Height, err))
	}
	a.pending = nil
	a.batches.Add(out.Batches)
	a.Machine().Adopt(out)
	a.mu.Lock()
	a.meta = out.Meta
	close(a.notify)
	a.notify = make(chan struct{})
	a.mu.Unlock()
	if a.observer != nil {
		a.observer.Committed(out)
	}
	a.maybeSnapshot(out.Meta.Height, out.Meta.AppHash)
	a.maybePrune(out.Meta.LastTimestampMicros)
	return &abcitypes.ResponseCommit{RetainHeight: a.retainHeight(out.Meta.Height)}, nil
}
