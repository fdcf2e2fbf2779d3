package main

import (
	"fmt"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/testnet/bench"
)

// newBenchE2ECmd is `cometsync bench e2e`: IOU transfers through the whole stack.
func newBenchE2ECmd() *cobra.Command {
	o := bench.DefaultE2EOptions()
	cmd := &cobra.Command{
		Use:   "e2e",
		Short: "IOU transfers end to end (chain, mediator, 3 participants): committed/s, latency, replay speed",
		Long: `Starts in-process a chain of --validators validators, a mediator and three participant
nodes with the IOU package, creates --ious IOUs and transfers them: a run at --rate
transfers/s (0: a closed loop with --concurrency in flight), then, with --saturation, a
closed-loop run and a run at half its committed rate, each for --duration. Latency runs
from the Submit call until the moved IOU is active at every informee participant. Then
transfers continue until the issuer's participant has --replay-events events on its
stream, and a fresh node with its keys replays that stream from counter 0.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			out := cmd.OutOrStdout()
			kind := "between two parties of one participant"
			if o.Across {
				kind = "between parties of different participants"
			}
			fmt.Fprintf(out, "cometsync bench e2e: transfers %s, runs of %v, %d IOUs, closed loop with %d in flight\n", kind, o.Duration, o.IOUs, o.Concurrency)
			_, err := bench.RunE2E(ctx, out, o)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.ReplayProfile, "replay-cpuprofile", "", "write a CPU profile of the replay to this file")
	f.IntVar(&o.Validators, "validators", o.Validators, "validators of the chain (1 or 4)")
	f.IntVar(&o.IOUs, "ious", o.IOUs, "IOUs created before the runs (the most transfers in flight)")
	f.Float64Var(&o.Rate, "rate", o.Rate, "offered transfers/s of the first run; 0: closed loop with --concurrency")
	f.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "transfers in flight in a closed loop")
	f.DurationVar(&o.Duration, "duration", o.Duration, "length of each run")
	f.BoolVar(&o.Saturation, "saturation", o.Saturation, "also a saturation run and a run at half its rate")
	f.IntVar(&o.ReplayEvents, "replay-events", o.ReplayEvents, "events on the replayed participant's stream before the replay")
	f.BoolVar(&o.Fast, "fast", o.Fast, "fast test consensus timeouts instead of the production ones")
	f.BoolVar(&o.Across, "across", o.Across, "transfer between parties of different participants (Offer, then Accept on the new owner's participant)")
	return cmd
}

// newBenchPruneCmd is `cometsync bench prune`: disk use per validator with and without
// pruning under a constant load of IOU transfers.
func newBenchPruneCmd() *cobra.Command {
	o := bench.DefaultPruneOptions()
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "IOU transfers with pruning off and on: bytes per validator (data/app + CometBFT data) at each checkpoint",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			_, err := bench.RunPrune(ctx, cmd.OutOrStdout(), o)
			return err
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.E2E.Validators, "validators", o.E2E.Validators, "validators of the chain")
	f.IntVar(&o.E2E.IOUs, "ious", o.E2E.IOUs, "IOUs created before the runs")
	f.IntVar(&o.E2E.Concurrency, "concurrency", o.E2E.Concurrency, "transfers in flight")
	f.IntSliceVar(&o.Checkpoints, "transfers", o.Checkpoints, "transfer counts at which disk use is measured")
	f.DurationVar(&o.Interval, "pruning-interval", o.Interval, "pruning_interval of the pruning run")
	f.DurationVar(&o.Retention, "pruning-retention", o.Retention, "pruning_retention of the pruning run")
	f.StringSliceVar(&o.Modes, "modes", o.Modes, "runs: off, on")
	return cmd
}
