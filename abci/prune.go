package abci

import (
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/internal/badgerx"
)

// PruneSchedule is the automatic pruning of a running node: every Interval of sequencer
// time, at a commit, what is older than Retention and acknowledged is pruned.
type PruneSchedule struct {
	Interval, Retention time.Duration
}

// SetPruneSchedule turns automatic pruning on (a zero Interval leaves it off). Call it
// before the node starts.
func (a *App) SetPruneSchedule(s PruneSchedule) { a.pruneSchedule = s }

// PruneResult is what a prune removed and the pruning point it recorded.
type PruneResult struct {
	Plan *core.PrunePlan
}

// Prune prunes the committed state of a running application (between two commits) as
// opt says and records the pruning point; CometBFT drops its blocks below the pruning
// height from the next commit on (see retainHeight). It is local to this node.
func (a *App) Prune(opt core.PruneOptions) (*core.PrunePlan, error) {
	a.commitMu.Lock()
	defer a.commitMu.Unlock()
	plan, err := PruneDB(a.db, opt)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.pruneHeight = plan.Point.Height
	a.mu.Unlock()
	a.logPrune(plan, opt)
	a.compactAfterPrune()
	return plan, nil
}

// PruneDB prunes the application database db (of a stopped node, or under the
// application's commit lock) as opt says.
func PruneDB(db *badger.DB, opt core.PruneOptions) (*core.PrunePlan, error) {
	r, release := Snapshot(db)
	plan, err := core.PlanPrune(r, opt)
	release()
	if err != nil {
		return nil, fmt.Errorf("plan the prune: %w", err)
	}
	if err := applyWrites(db, plan.Writes); err != nil {
		return nil, fmt.Errorf("apply the prune: %w", err)
	}
	return plan, nil
}

// compactAfterPrune compacts the database on a goroutine of its own (one at a time), so
// that the deleted keys' space is freed now rather than when badger's compactions reach
// them: deletions alone only add tombstones.
func (a *App) compactAfterPrune() {
	if !a.compacting.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer a.compacting.Store(false)
		if err := a.db.Flatten(1); err != nil {
			a.logger.Warn("compaction after the prune failed", "err", err)
		}
		if err := badgerx.ValueLogGC(a.db); err != nil {
			a.logger.Warn("value-log GC after the prune failed", "err", err)
		}
	}()
}

func (a *App) logPrune(plan *core.PrunePlan, opt core.PruneOptions) {
	s := plan.Stats
	a.logger.Info("pruned", "before", time.UnixMicro(opt.BeforeMicros).UTC().Format(time.RFC3339Nano),
		"stream_records", s.StreamRecords, "events", s.Events, "batches", s.Batches,
		"dedupe_entries", s.DedupeEntries, "expiry_records", s.ExpiryRecords, "height_records", s.HeightRecords,
		"bytes", s.Bytes, "pruning_height", plan.Point.Height)
	for _, h := range plan.Held {
		a.logger.Info("pruning held back by a member that did not acknowledge", "member", h.Member, "acknowledged", h.Acknowledged, "kept_events", h.Kept)
	}
	for _, m := range plan.Lost {
		a.logger.Warn("forced prune removed unacknowledged events", "member", m)
	}
}

// maybePrune runs the automatic schedule at the commit of a block whose last sequencing
// time is nowMicros (on the consensus goroutine, before the next block).
func (a *App) maybePrune(nowMicros int64) {
	s := a.pruneSchedule
	if s.Interval <= 0 {
		return
	}
	if a.lastPruneMicros == 0 {
		a.lastPruneMicros = nowMicros // the first one an interval after the start
		return
	}
	if nowMicros-a.lastPruneMicros < s.Interval.Microseconds() {
		return
	}
	a.lastPruneMicros = nowMicros
	if _, err := a.Prune(core.PruneOptions{BeforeMicros: nowMicros - s.Retention.Microseconds()}); err != nil {
		a.logger.Error("scheduled prune failed", "err", err)
	}
}

// loadPruneHeight reads the recorded pruning height.
func (a *App) loadPruneHeight() error {
	r, release := a.Snapshot()
	defer release()
	p, err := core.ReadPruningPoint(r)
	if err != nil {
		return err
	}
	a.pruneHeight = p.Height
	return nil
}

// retainHeight is Commit's RetainHeight at height: blocks below the pruning height may
// go, but never the last min_retain_blocks nor those from the oldest local state-sync
// snapshot on (peers that state-sync from it need them); without a pruning point, the
// last min_retain_blocks are kept (0: every block).
func (a *App) retainHeight(height int64) int64 {
	a.mu.RLock()
	ph := a.pruneHeight
	a.mu.RUnlock()
	byCount := int64(0)
	if a.retainBlocks > 0 && height > a.retainBlocks {
		byCount = height - a.retainBlocks + 1
	}
	if ph <= 0 {
		return byCount
	}
	rh := ph
	if a.retainBlocks > 0 {
		rh = min(rh, max(byCount, 1))
	}
	if a.snapshots != nil {
		if hs := a.snapshots.heights(); len(hs) > 0 {
			rh = min(rh, int64(hs[len(hs)-1]))
		}
	}
	if rh <= 1 {
		return 0
	}
	return rh
}
