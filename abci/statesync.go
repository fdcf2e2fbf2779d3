package abci

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/cometsync/cometsync/abci/core"
)

// restore is a state-sync restore in progress.
type restore struct {
	snapshot *abcitypes.Snapshot
	meta     snapshotMeta
	appHash  []byte
	next     uint32
}

// EnableSnapshots makes the application take state-sync snapshots as cfg says. Call it
// before the node starts.
func (a *App) EnableSnapshots(cfg SnapshotConfig) error {
	s, err := newSnapshotStore(cfg, a.logger.With("component", "snapshots"))
	if err != nil {
		return err
	}
	a.snapshots = s
	return nil
}

// maybeSnapshot starts a snapshot of the state just committed at height when one is due.
func (a *App) maybeSnapshot(height int64, appHash []byte) {
	if a.snapshots == nil || !a.snapshots.due(height) {
		return
	}
	txn := a.db.NewTransaction(false) // sees exactly the state committed at height
	go a.snapshots.create(uint64(height), appHash, txn)
}

// ListSnapshots offers the local snapshots to state-syncing peers.
func (a *App) ListSnapshots(context.Context, *abcitypes.RequestListSnapshots) (*abcitypes.ResponseListSnapshots, error) {
	if a.snapshots == nil {
		return &abcitypes.ResponseListSnapshots{}, nil
	}
	return &abcitypes.ResponseListSnapshots{Snapshots: a.snapshots.list()}, nil
}

// LoadSnapshotChunk serves one chunk of a local snapshot.
func (a *App) LoadSnapshotChunk(_ context.Context, req *abcitypes.RequestLoadSnapshotChunk) (*abcitypes.ResponseLoadSnapshotChunk, error) {
	if a.snapshots == nil || req.Format != SnapshotFormat {
		return &abcitypes.ResponseLoadSnapshotChunk{}, nil
	}
	c, err := a.snapshots.chunk(req.Height, req.Chunk)
	if err != nil {
		a.logger.Warn("snapshot chunk requested but not available", "height", req.Height, "chunk", req.Chunk, "err", err)
		return &abcitypes.ResponseLoadSnapshotChunk{}, nil
	}
	return &abcitypes.ResponseLoadSnapshotChunk{Chunk: c}, nil
}

// OfferSnapshot accepts a snapshot for an empty application in our format. req.AppHash is
// the app hash CometBFT verified with its light client; the restored state must match it.
func (a *App) OfferSnapshot(_ context.Context, req *abcitypes.RequestOfferSnapshot) (*abcitypes.ResponseOfferSnapshot, error) {
	reject := func(r abcitypes.ResponseOfferSnapshot_Result, why string) (*abcitypes.ResponseOfferSnapshot, error) {
		a.logger.Warn("snapshot refused", "height", req.Snapshot.GetHeight(), "reason", why)
		return &abcitypes.ResponseOfferSnapshot{Result: r}, nil
	}
	if req.Snapshot == nil || req.Snapshot.Format != SnapshotFormat {
		return reject(abcitypes.ResponseOfferSnapshot_REJECT_FORMAT, "unknown format")
	}
	if a.Meta().Height != 0 {
		return reject(abcitypes.ResponseOfferSnapshot_ABORT, "application state is not empty")
	}
	var meta snapshotMeta
	if err := json.Unmarshal(req.Snapshot.Metadata, &meta); err != nil || len(meta.ChunkHashes) != int(req.Snapshot.Chunks) ||
		!bytes.Equal(meta.hash(), req.Snapshot.Hash) || !bytes.Equal(meta.AppHash, req.AppHash) {
		return reject(abcitypes.ResponseOfferSnapshot_REJECT, "metadata does not match the snapshot or the verified app hash")
	}
	if err := a.db.DropAll(); err != nil {
		return nil, fmt.Errorf("clear application state for restore: %w", err)
	}
	a.restore = &restore{snapshot: req.Snapshot, meta: meta, appHash: req.AppHash}
	a.logger.Info("restoring snapshot", "height", req.Snapshot.Height, "chunks", req.Snapshot.Chunks)
	return &abcitypes.ResponseOfferSnapshot{Result: abcitypes.ResponseOfferSnapshot_ACCEPT}, nil
}

// ApplySnapshotChunk checks a chunk against the snapshot metadata and writes it; after
// the last chunk it loads the restored state and checks its app hash.
func (a *App) ApplySnapshotChunk(_ context.Context, req *abcitypes.RequestApplySnapshotChunk) (*abcitypes.ResponseApplySnapshotChunk, error) {
	r := a.restore
	if r == nil {
		return &abcitypes.ResponseApplySnapshotChunk{Result: abcitypes.ResponseApplySnapshotChunk_ABORT}, nil
	}
	sum := sha256.Sum256(req.Chunk)
	if req.Index != r.next || !bytes.Equal(sum[:], r.meta.ChunkHashes[req.Index]) {
		a.logger.Warn("snapshot chunk refused", "index", req.Index, "expected", r.next, "sender", req.Sender)
		return &abcitypes.ResponseApplySnapshotChunk{Result: abcitypes.ResponseApplySnapshotChunk_RETRY, RefetchChunks: []uint32{req.Index}, RejectSenders: []string{req.Sender}}, nil
	}
	if err := a.writeChunk(req.Chunk); err != nil {
		return nil, err
	}
	r.next++
	if r.next < uint32(len(r.meta.ChunkHashes)) {
		return &abcitypes.ResponseApplySnapshotChunk{Result: abcitypes.ResponseApplySnapshotChunk_ACCEPT}, nil
	}
	return a.finishRestore()
}

func (a *App) writeChunk(chunk []byte) error {
	wb := a.db.NewWriteBatch()
	defer wb.Cancel()
	if err := decodeRecords(chunk, func(k, v []byte) error { return wb.Set(bytes.Clone(k), bytes.Clone(v)) }); err != nil {
		return err
	}
	return wb.Flush()
}

func (a *App) finishRestore() (*abcitypes.ResponseApplySnapshotChunk, error) {
	r := a.restore
	a.restore = nil
	snap, release := a.Snapshot()
	meta, err := core.ReadMeta(snap)
	var m *core.Machine
	if err == nil {
		m, err = core.LoadMachine(snap)
	}
	release()
	if err != nil || meta.Height != int64(r.snapshot.Height) || !bytes.Equal(meta.AppHash, r.appHash) {
		a.logger.Error("restored state does not match the snapshot", "height", r.snapshot.Height, "err", err)
		_ = a.db.DropAll()
		return &abcitypes.ResponseApplySnapshotChunk{Result: abcitypes.ResponseApplySnapshotChunk_REJECT_SNAPSHOT}, nil
	}
	if err := applyWrites(a.db, []core.Write{layoutWrite()}); err != nil {
		return nil, fmt.Errorf("mark the restored database's layout: %w", err)
	}
	a.mu.Lock()
	a.machine, a.meta = m, meta
	a.mu.Unlock()
	a.logger.Info("snapshot restored", "height", meta.Height)
	return &abcitypes.ResponseApplySnapshotChunk{Result: abcitypes.ResponseApplySnapshotChunk_ACCEPT}, nil
}
