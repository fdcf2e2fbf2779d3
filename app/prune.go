package app

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	cmtcons "github.com/cometbft/cometbft/consensus"

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

// trimWALEvery trims the consensus WAL (trimWAL) every interval until the node stops:
// with pruning on, the WAL would otherwise be the largest part of a validator's disk.
func (n *Node) trimWALEvery(interval time.Duration) {
	defer n.background.Done()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
		case <-n.stopped:
			return
		}
		removed, err := trimWAL(n.cmtCfg.Consensus.WalFile(), n.app.Meta().Height)
		if err != nil {
			n.logger.Warn("trimming the consensus WAL failed", "err", err)
		} else if removed > 0 {
			n.logger.Debug("trimmed the consensus WAL", "files_removed", removed)
		}
	}
}

// trimWAL removes the closed chunk files of CometBFT's consensus WAL (walFile is its
// head, data/cs.wal/wal; the chunks are wal.000, wal.001...) that a restart cannot
// need. CometBFT keeps them up to 1 GiB in all (its autofile group's limit, which it
// does not let us set); a restart replays only what follows the #ENDHEIGHT marker of the
// last height in the node's state, which is at least committed-1 when the application
// has committed height committed. So every chunk older than the newest closed chunk
// holding an #ENDHEIGHT marker of a height at or below committed-2 goes. The head and
// that chunk stay. A chunk that fails to decode ends the search (nothing older than a
// chunk that was not read is removed). It returns the number of files removed.
func trimWAL(walFile string, committed int64) (int, error) {
	chunks, err := walChunks(walFile)
	if err != nil || len(chunks) < 2 {
		return 0, err
	}
	keep := -1
	for i := len(chunks) - 1; i > 0 && keep < 0; i-- {
		if hasEndHeightAtMost(chunks[i], committed-2) {
			keep = i
		}
	}
	removed := 0
	for _, c := range chunks[:max(keep, 0)] {
		if err := os.Remove(c); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("trim the consensus WAL: %w", err)
		}
		removed++
	}
	return removed, nil
}

// walChunks lists the closed chunk files of the WAL whose head is walFile, oldest first.
func walChunks(walFile string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Dir(walFile))
	if err != nil {
		return nil, fmt.Errorf("read the consensus WAL directory: %w", err)
	}
	type chunk struct {
		index int
		path  string
	}
	var cs []chunk
	prefix := filepath.Base(walFile) + "."
	for _, e := range entries {
		suffix, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		if i, err := strconv.Atoi(suffix); err == nil && i >= 0 {
			cs = append(cs, chunk{i, filepath.Join(filepath.Dir(walFile), e.Name())})
		}
	}
	slices.SortFunc(cs, func(a, b chunk) int { return cmp.Compare(a.index, b.index) })
	paths := make([]string, len(cs))
	for i, c := range cs {
		paths[i] = c.path
	}
	return paths, nil
}

// hasEndHeightAtMost reports whether the WAL chunk at path holds an #ENDHEIGHT marker
// of a height at or below h (it stops at the first marker).
func hasEndHeightAtMost(path string, h int64) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	dec := cmtcons.NewWALDecoder(fullReader{bufio.NewReader(f)})
	for {
		m, err := dec.Decode()
		if err != nil {
			return false
		}
		if end, ok := m.Msg.(cmtcons.EndHeightMessage); ok {
			return end.Height <= h
		}
	}
}

// fullReader reads len(p) bytes at every Read (short only at the end of the input):
// CometBFT's WALDecoder reads each part of a record with a single Read, which a
// buffered reader may answer short.
type fullReader struct{ r io.Reader }

func (f fullReader) Read(p []byte) (int, error) { return io.ReadFull(f.r, p) }
