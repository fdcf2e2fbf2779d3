package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// Options configure Run.
type Options struct {
	Workloads []Workload
	// Phase is the length of each of the two phases per system and workload.
	Phase time.Duration
	// Window is the number of submissions in flight during the saturation phase.
	Window  int
	Workers int
	// Presign is how many submissions are signed before the saturation phase.
	Presign int
	// Systems selects "kvstore", "sequencer" or both (empty).
	Systems []string
}

// DefaultOptions are what `make bench` runs.
func DefaultOptions() Options {
	return Options{
		Workloads: []Workload{{256, 1}, {256, 4}, {4096, 1}, {4096, 4}},
		Phase:     10 * time.Second,
		Window:    4000,
		Workers:   8,
		Presign:   200000,
		Systems:   []string{"kvstore", "sequencer"},
	}
}

// Run measures every workload on every system and prints progress and a table to out.
func Run(ctx context.Context, out io.Writer, o Options) ([]Result, error) {
	dir, err := os.MkdirTemp("", "cometsync-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var results []Result
	for i, w := range o.Workloads {
		for _, sys := range o.Systems {
			fmt.Fprintf(out, "[%d/%d] %-9s %-10s ", i+1, len(o.Workloads), sys, w)
			r, err := measure(ctx, fmt.Sprintf("%s/%d-%s", dir, i, sys), sys, w, o)
			if err != nil {
				return results, fmt.Errorf("%s %s: %w", sys, w, err)
			}
			fmt.Fprintf(out, "%8.0f/s  p50 %v  p99 %v\n", r.Throughput, r.P50.Round(time.Millisecond), r.P99.Round(time.Millisecond))
			results = append(results, r)
		}
	}
	PrintTable(out, results)
	return results, nil
}

func measure(ctx context.Context, dir, sys string, w Workload, o Options) (Result, error) {
	var s system
	var err error
	switch sys {
	case "kvstore":
		s, err = startKVStore(dir)
	case "sequencer":
		s, err = startSequencer(ctx, dir, w.Recipients)
	default:
		err = fmt.Errorf("unknown system %q", sys)
	}
	if err != nil {
		return Result{}, err
	}
	defer s.close()
	payload := make([]byte, w.Payload)
	var next atomic.Uint64
	s.prepare(next.Load(), o.Presign, payload)
	tput, err := saturate(ctx, s, payload, o.Window, o.Workers, o.Phase, &next)
	if err != nil {
		return Result{}, err
	}
	half := tput / 2
	s.prepare(next.Load(), int(half*o.Phase.Seconds())+1000, payload)
	p50, p99, n, err := paced(ctx, s, payload, half, o.Phase, &next)
	if err != nil {
		return Result{}, err
	}
	return Result{
		System: sys, Workload: w, Throughput: tput, MBps: tput * float64(w.Payload) / 1e6,
		HalfRate: half, P50: p50, P99: p99, BlockInterval: s.blockInterval(), Completed: n,
	}, nil
}

// PrintTable prints results as a table, with the sequencer/kvstore throughput ratio.
func PrintTable(out io.Writer, rs []Result) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tsystem\tsubmissions/s\tMB/s\tlatency rate/s\tp50\tp99\tblock interval\tours/kvstore\t")
	kv := map[Workload]float64{}
	for _, r := range rs {
		if r.System == "kvstore" {
			kv[r.Workload] = r.Throughput
		}
	}
	for _, r := range rs {
		ratio := "-"
		if r.System == "sequencer" && kv[r.Workload] > 0 {
			ratio = fmt.Sprintf("%.2f", r.Throughput/kv[r.Workload])
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.2f\t%.0f\t%v\t%v\t%v\t%s\t\n", r.Workload, r.System, r.Throughput, r.MBps,
			r.HalfRate, r.P50.Round(time.Millisecond), r.P99.Round(time.Millisecond), r.BlockInterval.Round(time.Millisecond), ratio)
	}
	tw.Flush()
}
