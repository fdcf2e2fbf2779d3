package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// Systems are the systems Run can measure: CometBFT's kvstore fed in-process, kvstore fed
// through CometBFT's RPC, the sequencer through its gRPC API, and the sequencer with
// traffic control on (every submission metered, none over budget).
var Systems = []string{"kvstore", "kvstore-rpc", "sequencer", "sequencer-traffic"}

// Options configure Run.
type Options struct {
	Workloads []Workload
	// Phase is the length of each saturation step and of the latency phase.
	Phase time.Duration
	// Window is the number of submissions in flight at the first saturation step; each
	// further step doubles it, up to MaxWindow, until the throughput falls 10 % below the
	// best so far.
	Window    int
	MaxWindow int
	// Workers is the number of submitting goroutines.
	Workers int
	// Presign is the least number of submissions readied before each saturation step.
	Presign int
	// Systems selects among Systems.
	Systems []string
	// Repeat measures each system and workload this many times, each on a fresh chain,
	// and reports the run with the median saturation rate (run-to-run variation on a
	// small machine is large).
	Repeat int
}

// ErrInvalidOptions is what a ConfigError wraps: Options.Validate and E2EOptions.Validate
// return it for options that cannot be run.
var ErrInvalidOptions = errors.New("invalid bench options")

// ConfigError names the field of Options or E2EOptions that cannot be run.
type ConfigError struct {
	Field, Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%v: %s: %s", ErrInvalidOptions, e.Field, e.Reason)
}

// Unwrap returns ErrInvalidOptions.
func (e *ConfigError) Unwrap() error { return ErrInvalidOptions }

// DefaultOptions are what `make bench` runs (with a shorter Phase).
func DefaultOptions() Options {
	return Options{
		Workloads: []Workload{{256, 1}, {256, 4}, {4096, 1}, {4096, 4}},
		Phase:     10 * time.Second,
		Window:    2000,
		MaxWindow: 16000, // the node's mempool holds 20 000 transactions
		Workers:   64,
		Presign:   200000,
		Repeat:    1,
		Systems:   slices.Clone(Systems),
	}
}

// Validate returns a *ConfigError naming the first field that cannot be run.
func (o Options) Validate() error {
	bad := func(field, reason string, args ...any) error {
		return &ConfigError{field, fmt.Sprintf(reason, args...)}
	}
	switch {
	case len(o.Workloads) == 0:
		return bad("Workloads", "none")
	case o.Phase <= 0:
		return bad("Phase", "%v: must be positive", o.Phase)
	case o.Window < 1:
		return bad("Window", "%d: at least 1", o.Window)
	case o.MaxWindow < o.Window:
		return bad("MaxWindow", "%d: at least Window (%d)", o.MaxWindow, o.Window)
	case o.Workers < 1:
		return bad("Workers", "%d: at least 1", o.Workers)
	case o.Repeat < 1:
		return bad("Repeat", "%d: at least 1", o.Repeat)
	case o.Presign < 0:
		return bad("Presign", "%d: must be >= 0", o.Presign)
	case len(o.Systems) == 0:
		return bad("Systems", "none")
	}
	for _, s := range o.Systems {
		if !slices.Contains(Systems, s) {
			return bad("Systems", "unknown system %q (want one of %v)", s, Systems)
		}
	}
	return nil
}

// Run measures every workload on every system and prints progress and a table to out.
func Run(ctx context.Context, out io.Writer, o Options) ([]Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "cometsync-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var results []Result
	for i, w := range o.Workloads {
		for _, sys := range o.Systems {
			var runs []Result
			for rep := range o.Repeat {
				fmt.Fprintf(out, "[%d/%d] %-11s %-10s ", i+1, len(o.Workloads), sys, w)
				if o.Repeat > 1 {
					fmt.Fprintf(out, "(run %d/%d) ", rep+1, o.Repeat)
				}
				runDir := fmt.Sprintf("%s/%d-%s-%d", dir, i, sys, rep)
				r, err := measure(ctx, out, runDir, sys, w, o)
				// Each chain's files go as soon as it is measured: gigabytes of earlier
				// chains written back to disk must not disturb the next measurement.
				if rmErr := os.RemoveAll(runDir); rmErr != nil && err == nil {
					err = rmErr
				}
				if err != nil {
					fmt.Fprintln(out)
					return results, fmt.Errorf("%s %s: %w", sys, w, err)
				}
				fmt.Fprintf(out, "p50 %v  p99 %v\n", r.P50.Round(time.Millisecond), r.P99.Round(time.Millisecond))
				runs = append(runs, r)
			}
			results = append(results, median(runs))
		}
	}
	PrintTable(out, results)
	return results, nil
}

// median returns the run with the median saturation rate (the lower middle one of an
// even number), each run on a fresh chain, with the rates of all the runs.
func median(runs []Result) Result {
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b Result) int { return cmp.Compare(a.Throughput, b.Throughput) })
	m := sorted[(len(sorted)-1)/2]
	if len(runs) > 1 {
		for _, r := range runs {
			m.Runs = append(m.Runs, r.Throughput)
		}
	}
	return m
}

func startSystem(ctx context.Context, dir, sys string, w Workload, o Options) (system, error) {
	switch sys {
	case "kvstore":
		return startKVStore(dir, 0)
	case "kvstore-rpc":
		return startKVStore(dir, o.Workers)
	case "sequencer":
		return startSequencer(ctx, dir, w.Recipients, false)
	case "sequencer-traffic":
		return startSequencer(ctx, dir, w.Recipients, true)
	}
	return nil, fmt.Errorf("unknown system %q", sys)
}

// measure searches the saturation rate of a fresh chain, then measures latency at half
// that rate; progress goes to out.
func measure(ctx context.Context, out io.Writer, dir, sys string, w Workload, o Options) (Result, error) {
	s, err := startSystem(ctx, dir, sys, w, o)
	if err != nil {
		return Result{}, err
	}
	defer s.close()
	payload := make([]byte, w.Payload)
	var next atomic.Uint64
	best, window, capped, err := searchSaturation(ctx, out, s, payload, o, &next)
	if err != nil {
		return Result{}, err
	}
	tput := best.PerSec
	half := tput / 2
	fmt.Fprintf(out, "| latency at %.0f/s: ", half)
	s.prepare(next.Load(), int(half*o.Phase.Seconds())+1000, payload)
	p50, p99, n, refused, err := paced(ctx, s, payload, half, o.Phase, &next)
	if err != nil {
		return Result{}, err
	}
	resubmitted := 0
	if r, ok := s.(resubmitter); ok {
		resubmitted = r.resubmissions()
	}
	return Result{
		Resubmitted: resubmitted,
		System:      sys, Workload: w, Throughput: tput, CPU: best.CPU, MBps: tput * float64(w.Payload) / 1e6, Window: window, Capped: capped,
		HalfRate: half, P50: p50, P99: p99, BlockInterval: s.blockInterval(), Completed: n, Refused: refused,
	}, nil
}

// searchSaturation runs saturation steps of o.Phase at windows o.Window, twice that, and
// so on up to o.MaxWindow, until the throughput falls 10 % below the best so far (a
// flat step goes on: run-to-run noise must not end the search early). It returns the best throughput, the window it was reached at, and whether it still
// grew at o.MaxWindow (capped: the rate is a lower bound).
func searchSaturation(ctx context.Context, out io.Writer, s system, payload []byte, o Options, next *atomic.Uint64) (best stepRate, at int, capped bool, err error) {
	for window := o.Window; ; window = min(2*window, o.MaxWindow) {
		st := step{window: window, workers: o.Workers, d: o.Phase}
		r, err := st.runPrepared(ctx, out, s, payload, presignBudget(o, best.PerSec, window), next)
		if err != nil {
			return stepRate{}, 0, false, err
		}
		fmt.Fprintf(out, "window %d: %.0f/s (%s CPU each%s)  ", window, r.PerSec, cpuCell(r.CPU), refusedNote(r.Refused))
		grew, fell := r.PerSec >= 1.1*best.PerSec, r.PerSec < 0.9*best.PerSec
		if r.PerSec > best.PerSec {
			best, at = r, window
		}
		if fell || window >= o.MaxWindow {
			return best, at, grew && best.PerSec > 0, nil
		}
	}
}

// presignBudget is how many submissions to ready for a saturation step at window after
// a best rate so far: o.Presign, or more when twice that rate for a phase plus the window
// could exceed it (throughput bound by window/latency at most doubles with the window).
func presignBudget(o Options, best float64, window int) int {
	return max(o.Presign, int(2*best*o.Phase.Seconds())+2*window)
}

// runPrepared prepares n submissions and runs the step; when a system that needs prepared
// submissions runs out of them before the end, the step is run again with a larger budget,
// so that no step is measured short or fails on a submission that was not prepared.
func (st step) runPrepared(ctx context.Context, out io.Writer, s system, payload []byte, n int, next *atomic.Uint64) (stepRate, error) {
	_, open := s.(preparesNothing)
	for {
		from := next.Load()
		s.prepare(from, n, payload)
		st.limit = 0
		if !open {
			st.limit = from + uint64(n)
		}
		r, exhausted, err := st.run(ctx, s, payload, next)
		if err != nil || !exhausted {
			return r, err
		}
		fmt.Fprintf(out, "(window %d: %d prepared ran out, again) ", st.window, n)
		n = max(2*n, int(2*r.PerSec*st.d.Seconds())+2*st.window)
	}
}

// PrintTable prints results as a table, with the sequencer's throughput as a ratio of
// each kvstore's, and the throughput with traffic control on as a ratio of the
// sequencer's without (traffic on/off; the target is at least 0.95).
func PrintTable(out io.Writer, rs []Result) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tsystem\tsubmissions/s\tMB/s\tCPU/submission\twindow\tlatency rate/s\tp50\tp99\tblock interval\tours/kvstore\tours/kvstore-rpc\ttraffic on/off\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.2f\t%s\t%s\t%.0f\t%v\t%v\t%v\t%s\t%s\t%s\t\n", r.Workload, r.System, r.Throughput, r.MBps,
			cpuCell(r.CPU), windowCell(r), r.HalfRate, r.P50.Round(time.Millisecond), r.P99.Round(time.Millisecond), r.BlockInterval.Round(time.Millisecond),
			ratio(rs, r, "kvstore"), ratio(rs, r, "kvstore-rpc"), trafficRatio(rs, r))
	}
	tw.Flush()
	for _, r := range rs {
		if r.Capped {
			fmt.Fprintf(out, "note: %s %s still grew at window %d (marked +): its rate is a lower bound (raise --max-window)\n", r.System, r.Workload, r.Window)
		}
		if r.Refused > 0 {
			fmt.Fprintf(out, "note: %s %s refused %d submissions of the latency phase (mempool full): half its saturation rate was not sustained\n", r.System, r.Workload, r.Refused)
		}
		if r.Resubmitted > 0 {
			fmt.Fprintf(out, "note: %s %s: the mempool dropped %d transactions after admitting them; they were sent again\n", r.System, r.Workload, r.Resubmitted)
		}
		if len(r.Runs) > 1 {
			rates := make([]string, len(r.Runs))
			for i, x := range r.Runs {
				rates[i] = fmt.Sprintf("%.0f", x)
			}
			fmt.Fprintf(out, "runs: %s %s saturated at %s/s (the row is the median run)\n", r.System, r.Workload, strings.Join(rates, ", "))
		}
	}
}

// refusedNote says how many submissions of a step a full mempool refused, if any.
func refusedNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d refused by a full mempool", n)
}

// cpuCell prints a CPU time per submission in microseconds ("-" when unknown).
func cpuCell(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
}

func windowCell(r Result) string {
	if r.Capped {
		return fmt.Sprintf("%d+", r.Window)
	}
	return fmt.Sprint(r.Window)
}

// trafficRatio is a sequencer-traffic row's throughput over the sequencer's without
// traffic control on the same workload ("-" on other rows or without that row).
func trafficRatio(rs []Result, r Result) string {
	if r.System != "sequencer-traffic" {
		return "-"
	}
	for _, ref := range rs {
		if ref.System == "sequencer" && ref.Workload == r.Workload && ref.Throughput > 0 {
			return fmt.Sprintf("%.2f", r.Throughput/ref.Throughput)
		}
	}
	return "-"
}

// ratio is the sequencer row's throughput over the reference system's on the same
// workload, "-" on other rows or when the reference was not measured.
func ratio(rs []Result, r Result, reference string) string {
	if r.System != "sequencer" {
		return "-"
	}
	for _, ref := range rs {
		if ref.System == reference && ref.Workload == r.Workload && ref.Throughput > 0 {
			return fmt.Sprintf("%.2f", r.Throughput/ref.Throughput)
		}
	}
	return "-"
}
