package bench

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/app"
)

// PruneOptions configures `cometsync bench prune`: IOU transfers (as bench e2e's closed
// loop) on one chain with pruning off and one with it on, and the disk use of each
// validator (application database plus CometBFT's data directory) at each checkpoint.
type PruneOptions struct {
	E2E E2EOptions
	// Checkpoints are the transfer counts at which disk use is measured (increasing).
	Checkpoints []int
	// Interval and Retention are the validators' pruning_interval and pruning_retention
	// in the pruning run.
	Interval, Retention time.Duration
	// Modes are the runs: "off", "on" or both.
	Modes []string
}

// DefaultPruneOptions are the defaults of `cometsync bench prune`.
func DefaultPruneOptions() PruneOptions {
	o := DefaultE2EOptions()
	o.Fast = true
	return PruneOptions{E2E: o, Checkpoints: []int{10_000, 50_000}, Interval: 5 * time.Second, Retention: 10 * time.Second, Modes: []string{"off", "on"}}
}

// PruneRow is one measurement.
type PruneRow struct {
	Mode      string
	Transfers int
	Elapsed   time.Duration
	// AppBytes and ChainBytes are the sizes of validator 0's data/app and of the rest
	// of its data directory (CometBFT's block store, state and WAL).
	AppBytes, ChainBytes int64
	Height               int64
	// LiveBytes is the size of the keys and values of validator 0's application state
	// (what badger keeps once compaction has dropped the deleted ones); EarliestSum the
	// sum over members of their earliest available counter (0: nothing pruned).
	LiveBytes, EarliestSum int64
	// BlockBase is the lowest height in validator 0's block store.
	BlockBase int64
}

// RunPrune runs the prune bench and prints a table.
func RunPrune(ctx context.Context, out io.Writer, o PruneOptions) ([]PruneRow, error) {
	if err := o.E2E.Validate(); err != nil {
		return nil, err
	}
	if len(o.Checkpoints) == 0 || !slices.IsSorted(o.Checkpoints) {
		return nil, fmt.Errorf("checkpoints %v: want increasing transfer counts", o.Checkpoints)
	}
	var rows []PruneRow
	for _, mode := range o.Modes {
		if mode != "off" && mode != "on" {
			return rows, fmt.Errorf("mode %q: want off or on", mode)
		}
		rs, err := runPruneMode(ctx, out, o, mode == "on")
		rows = append(rows, rs...)
		if err != nil {
			return rows, err
		}
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| pruning | transfers | blocks kept | app state live bytes | data/app on disk | CometBFT data on disk | disk per validator |")
	fmt.Fprintln(out, "|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		fmt.Fprintf(out, "| %s | %d | %d..%d | %d | %d | %d | %d |\n", r.Mode, r.Transfers, r.BlockBase, r.Height, r.LiveBytes, r.AppBytes, r.ChainBytes, r.AppBytes+r.ChainBytes)
	}
	return rows, nil
}

func runPruneMode(ctx context.Context, out io.Writer, o PruneOptions, on bool) ([]PruneRow, error) {
	dir, err := os.MkdirTemp("", "cometsync-bench-prune-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	mode := "off"
	cfg := func(int, *app.Config) {}
	if on {
		mode = fmt.Sprintf("on (every %v, retention %v)", o.Interval, o.Retention)
		cfg = func(_ int, c *app.Config) { c.PruningInterval, c.PruningRetention = o.Interval, o.Retention }
	}
	w, err := startE2E(ctx, dir, o.E2E, cfg)
	if err != nil {
		return nil, err
	}
	defer w.stop()
	fmt.Fprintf(out, "pruning %s: %d validator(s), %d IOUs, %d in flight\n", mode, o.E2E.Validators, o.E2E.IOUs, o.E2E.Concurrency)
	var rows []PruneRow
	start, done := time.Now(), 0
	for _, cp := range o.Checkpoints {
		if _, err := w.closedLoop(ctx, o.E2E.Concurrency, 0, cp-done); err != nil {
			return rows, err
		}
		done = cp
		home := w.net.Homes[0].Home
		appBytes := treeSize(filepath.Join(home, "data", "app"))
		h, _ := w.head()
		r := PruneRow{Mode: mode, Transfers: cp, Elapsed: time.Since(start), AppBytes: appBytes, ChainBytes: treeSize(filepath.Join(home, "data")) - appBytes, Height: h}
		if r.LiveBytes, r.EarliestSum, err = liveState(w); err != nil {
			return rows, err
		}
		r.BlockBase = w.net.Node(0).CometBFT().BlockStore().Base()
		fmt.Fprintf(out, "  %d transfers after %v: data/app %d bytes on disk (%d live), CometBFT data %d bytes (heights %d..%d, earliest counters sum %d)\n",
			cp, r.Elapsed.Round(time.Second), r.AppBytes, r.LiveBytes, r.ChainBytes, r.BlockBase, h, r.EarliestSum)
		fmt.Fprintf(out, "    where the bytes go (allocated/apparent): %s\n", breakdown(filepath.Join(home, "data")))
		if on {
			printHeld(out, w)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// printHeld prints the members that hold validator 0's pruning back (a dry run).
func printHeld(out io.Writer, w *e2eWorld) {
	r, release := w.net.Node(0).App().Snapshot()
	defer release()
	_, ts := w.head()
	plan, err := core.PlanPrune(r, core.PruneOptions{BeforeMicros: ts})
	if err != nil {
		fmt.Fprintf(out, "    dry run: %v\n", err)
		return
	}
	for _, h := range plan.Held {
		fmt.Fprintf(out, "    held back by %s (acknowledged %d, keeps %d events)\n", h.Member, h.Acknowledged, h.Kept)
	}
}

// treeSize is the disk space the regular files under dir take (allocated blocks, as du
// counts: badger preallocates its value-log files sparsely).
func treeSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += allocated(info)
			}
		}
		return nil
	})
	return n
}

// breakdown sums the files under dir (a node's data directory) by database (the entry
// of dir they are under: app, blockstore.db, state.db, cs.wal...) and by badger file kind
// (vlog, sst, mem, MANIFEST, other), as allocated/apparent bytes, largest first.
func breakdown(dir string) string {
	type size struct{ alloc, apparent int64 }
	sizes := map[string]size{}
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		db, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
		kind := strings.TrimPrefix(filepath.Ext(path), ".")
		switch {
		case strings.HasPrefix(d.Name(), "MANIFEST"):
			kind = "MANIFEST"
		case kind != "vlog" && kind != "sst" && kind != "mem":
			kind = "other"
		}
		k := db + "/" + kind
		s := sizes[k]
		s.alloc += allocated(info)
		s.apparent += info.Size()
		sizes[k] = s
		return nil
	})
	keys := slices.SortedFunc(maps.Keys(sizes), func(a, b string) int { return cmp.Compare(sizes[b].alloc, sizes[a].alloc) })
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %.1f/%.1f MB", k, float64(sizes[k].alloc)/1e6, float64(sizes[k].apparent)/1e6))
	}
	return strings.Join(parts, ", ")
}

// liveState sums the keys and values of validator 0's committed application state and
// the earliest available counters of its pruning point.
func liveState(w *e2eWorld) (live, earliest int64, err error) {
	r, release := w.net.Node(0).App().Snapshot()
	defer release()
	for _, tag := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		if err := r.Iterate([]byte{tag}, nil, func(k, v []byte) (bool, error) {
			live += int64(len(k) + len(v))
			return true, nil
		}); err != nil {
			return 0, 0, err
		}
	}
	p, err := core.ReadPruningPoint(r)
	if err != nil {
		return 0, 0, err
	}
	for _, m := range p.Members {
		earliest += m.EarliestCounter
	}
	return live, earliest, nil
}
