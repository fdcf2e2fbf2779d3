package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/testnet/bench"
)

func init() { subcommands = append(subcommands, newBenchCmd) }

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Benchmarks"}
	o := bench.DefaultOptions()
	var profile string
	seq := &cobra.Command{
		Use:   "sequencer",
		Short: "Sequencer vs CometBFT's kvstore on the same settings: throughput, MB/s, latency",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			out := cmd.OutOrStdout()
			if profile != "" {
				f, err := os.Create(profile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			fmt.Fprintf(out, "each system and workload: saturation steps of %v with %d submissions in flight, doubling up to %d unless submissions/s falls 10 %% below the best (%d submitting goroutines); then %v at half the best rate\n\n",
				o.Phase, o.Window, o.MaxWindow, o.Workers, o.Phase)
			_, err := bench.Run(ctx, out, o)
			return err
		},
	}
	seq.Flags().StringVar(&profile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	seq.Flags().Var(workloadsFlag{&o.Workloads}, "workloads", "comma-separated PAYLOADxRECIPIENTS, e.g. 256x1,4096x4")
	seq.Flags().DurationVar(&o.Phase, "phase", o.Phase, "length of each saturation step and of the latency phase")
	seq.Flags().IntVar(&o.Window, "window", o.Window, "submissions in flight at the first saturation step (doubled at each further step)")
	seq.Flags().IntVar(&o.MaxWindow, "max-window", o.MaxWindow, "largest window of the saturation search (the node's mempool holds 20000 transactions)")
	seq.Flags().IntVar(&o.Repeat, "repeat", o.Repeat, "runs per system and workload, each on a fresh chain; the table shows the median run")
	seq.Flags().IntVar(&o.Workers, "workers", o.Workers, "submitting goroutines (each waits for its submission's admission)")
	seq.Flags().StringSliceVar(&o.Systems, "systems", o.Systems, "systems to measure: kvstore (in-process mempool), kvstore-rpc (CometBFT RPC), sequencer, sequencer-traffic (traffic control on)")
	cmd.AddCommand(seq, newBenchE2ECmd(), newBenchPruneCmd())
	return cmd
}

// workloadsFlag parses "256x1,4096x4".
type workloadsFlag struct{ ws *[]bench.Workload }

func (f workloadsFlag) String() string {
	var parts []string
	for _, w := range *f.ws {
		parts = append(parts, fmt.Sprintf("%dx%d", w.Payload, w.Recipients))
	}
	return strings.Join(parts, ",")
}

func (f workloadsFlag) Set(s string) error {
	var ws []bench.Workload
	for _, part := range strings.Split(s, ",") {
		p, r, ok := strings.Cut(strings.TrimSpace(part), "x")
		payload, err1 := strconv.Atoi(p)
		recipients, err2 := strconv.Atoi(r)
		if !ok || err1 != nil || err2 != nil || payload < 8 || recipients < 1 {
			return fmt.Errorf("workload %q: want PAYLOADxRECIPIENTS with payload >= 8 and recipients >= 1", part)
		}
		ws = append(ws, bench.Workload{Payload: payload, Recipients: recipients})
	}
	*f.ws = ws
	return nil
}

func (workloadsFlag) Type() string { return "workloads" }
