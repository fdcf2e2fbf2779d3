package app

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/cometsync/cometsync/abci"
	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/internal/badgerx"
)

// PruneReport is what PruneHome did (or, dry, would do).
type PruneReport struct {
	Plan *core.PrunePlan
	// LastSequencedMicros is the chain's last sequencing time in the database.
	LastSequencedMicros int64
	// DiskBefore and DiskAfter are the sizes of the application database's files.
	DiskBefore, DiskAfter int64
	DryRun                bool
}

// PruneHome prunes the application database of the stopped node in home (see
// core.PlanPrune); before returns the cut-off from the chain's last sequencing time.
// Dry, it only plans. The database is compacted afterwards so that the space is freed;
// CometBFT drops its blocks below the recorded pruning height at the node's next commit.
func PruneHome(home string, before func(lastMicros int64) core.PruneOptions, dry bool) (*PruneReport, error) {
	dir := AppDBDir(home)
	if err := badgerx.NotInUse(dir, "node", "cometsync node start"); err != nil {
		return nil, err
	}
	if empty, err := badgerx.Empty(dir); err != nil || empty {
		return nil, errors.Join(err, fmt.Errorf("no application database in %s", dir))
	}
	rep := &PruneReport{DryRun: dry, DiskBefore: dirSize(dir)}
	db, err := badgerx.OpenSingleWriter(dir, nil)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	r, release := abci.Snapshot(db)
	meta, err := core.ReadMeta(r)
	if err != nil {
		release()
		return nil, err
	}
	rep.LastSequencedMicros = meta.LastTimestampMicros
	opt := before(meta.LastTimestampMicros)
	if dry {
		rep.Plan, err = core.PlanPrune(r, opt)
		release()
		rep.DiskAfter = rep.DiskBefore
		return rep, err
	}
	release()
	if rep.Plan, err = abci.PruneDB(db, opt); err != nil {
		return nil, err
	}
	if err := db.Flatten(1); err != nil {
		return nil, fmt.Errorf("compact after the prune: %w", err)
	}
	for db.RunValueLogGC(0.1) == nil {
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	rep.DiskAfter = dirSize(dir)
	return rep, nil
}

// dirSize is the total size of the regular files under dir.
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
