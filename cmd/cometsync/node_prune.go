package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/app"
)

func newNodePruneCmd() *cobra.Command {
	var (
		home, before, forceBefore string
		retain                    time.Duration
		dry                       bool
	)
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Prune the stopped node's application state: events every owner acknowledged and older than the cut-off, batches all recipients acknowledged, expired dedupe records (local to this node)",
		Long: `Prune the application state of a stopped node. The cut-off is --before TIME (RFC 3339)
or --retain DURATION before the chain's last sequencing time. Only events their owner
acknowledged are removed; the members that hold pruning back are listed. --force-before
TIME removes every event before TIME whether acknowledged or not, and names the members
that lose events. CometBFT drops its blocks below the recorded pruning height at the
node's next commit (never the last min_retain_blocks nor those local snapshots need).`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opt, err := pruneCutoff(before, forceBefore, retain, cmd.Flags().Changed("retain"))
			if err != nil {
				return err
			}
			rep, err := app.PruneHome(home, opt, dry)
			if err != nil {
				return err
			}
			printPruneReport(cmd.OutOrStdout(), rep)
			return nil
		},
	}
	cmd.Flags().StringVar(&home, "home", defaultHome(), "node home directory")
	cmd.Flags().StringVar(&before, "before", "", "prune what was sequenced before this time (RFC 3339)")
	cmd.Flags().DurationVar(&retain, "retain", 0, "prune what was sequenced more than this before the chain's last sequencing time")
	cmd.Flags().StringVar(&forceBefore, "force-before", "", "prune every event before this time (RFC 3339), acknowledged or not")
	cmd.Flags().BoolVar(&dry, "dry-run", false, "only say what would be pruned")
	return cmd
}

// pruneCutoff returns the options for the flags, given the chain's last sequencing time.
func pruneCutoff(before, forceBefore string, retain time.Duration, hasRetain bool) (func(int64) core.PruneOptions, error) {
	set := 0
	for _, b := range []bool{before != "", forceBefore != "", hasRetain} {
		if b {
			set++
		}
	}
	if set != 1 {
		return nil, errors.New("give exactly one of --before TIME, --retain DURATION or --force-before TIME")
	}
	if hasRetain {
		if retain < 0 {
			return nil, fmt.Errorf("--retain %s is negative", retain)
		}
		return func(last int64) core.PruneOptions {
			return core.PruneOptions{BeforeMicros: last - retain.Microseconds()}
		}, nil
	}
	at, force := before, false
	if forceBefore != "" {
		at, force = forceBefore, true
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return nil, fmt.Errorf("time %q: %w (want RFC 3339, e.g. 2026-01-02T15:04:05Z)", at, err)
	}
	return func(int64) core.PruneOptions { return core.PruneOptions{BeforeMicros: t.UnixMicro(), Force: force} }, nil
}

func printPruneReport(w io.Writer, rep *app.PruneReport) {
	p, s := rep.Plan, rep.Plan.Stats
	verb := "removed"
	if rep.DryRun {
		verb = "would remove (dry run)"
	}
	fmt.Fprintf(w, "%s: %d events in %d stream records, %d batches, %d dedupe entries, %d expiry records, %d per-height records (%d bytes of keys and values)\n",
		verb, s.Events, s.StreamRecords, s.Batches, s.DedupeEntries, s.ExpiryRecords, s.HeightRecords, s.Bytes)
	if !rep.DryRun {
		fmt.Fprintf(w, "application database: %d bytes before, %d after\n", rep.DiskBefore, rep.DiskAfter)
	}
	fmt.Fprintf(w, "pruning point: before %s, blocks below height %d may go\n",
		time.UnixMicro(p.Point.BeforeMicros).UTC().Format(time.RFC3339Nano), p.Point.Height)
	for _, m := range p.Point.Members {
		fmt.Fprintf(w, "  %s: earliest available counter %d\n", m.Member, m.EarliestCounter)
	}
	for _, h := range p.Held {
		ack := "never acknowledged"
		if h.Acknowledged >= 0 {
			ack = fmt.Sprintf("acknowledged up to counter %d", h.Acknowledged)
		}
		fmt.Fprintf(w, "held back by %s: %s, keeps %d events before the cut-off (--force-before TIME removes them)\n", h.Member, ack, h.Kept)
	}
	for _, m := range p.Lost {
		fmt.Fprintf(w, "%s loses unacknowledged events: it must recover from a snapshot or an archive node\n", m)
	}
}
