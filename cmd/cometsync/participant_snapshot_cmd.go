package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/participant/daemon"
)

// newParticipantSnapshotCmd returns `participant snapshot`: signed ACS snapshots.
func newParticipantSnapshotCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "snapshot", Short: "Signed ACS snapshots: export one to rebuild a participant with recover --from-snapshot"}
	cmd.AddCommand(newParticipantSnapshotExportCmd())
	return cmd
}

func newParticipantSnapshotExportCmd() *cobra.Command {
	var w wrapperFlags
	var home, out, at, parties string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the stopped participant's signed ACS snapshot at a reconciliation tick (the latest without a request in flight by default) to --out",
		RunE: func(cmd *cobra.Command, _ []string) error {
			var tick int64
			if at != "latest" {
				var err error
				if tick, err = strconv.ParseInt(at, 10, 64); err != nil || tick <= 0 {
					return fmt.Errorf("--at %q: a tick (sequencer time in microseconds, as a snapshot summary prints it) or latest", at)
				}
			}
			var ps []string
			for _, p := range strings.Split(parties, ",") {
				if p = strings.TrimSpace(p); p != "" {
					ps = append(ps, p)
				}
			}
			o, err := openParticipant(home, &w)
			if err != nil {
				return err
			}
			s, err := daemon.ExportSnapshot(o, tick, ps)
			if err != nil {
				return err
			}
			b := s.Encode()
			if err := os.WriteFile(out, b, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "snapshot at tick %d (next counter %d, ledger offset %d): %d contracts, %d bytes, written to %s\n",
				s.Tick, s.NextCounter, s.Offset, len(s.Contracts), len(b), out)
			return nil
		},
	}
	w.add(cmd)
	cmd.Flags().StringVar(&home, "home", "", "participant home directory")
	cmd.Flags().StringVar(&out, "out", "", "snapshot file to write")
	cmd.Flags().StringVar(&at, "at", "latest", "reconciliation tick (microseconds) or latest")
	cmd.Flags().StringVar(&parties, "parties", "", "only contracts with a stakeholder among these parties (comma-separated)")
	_ = cmd.MarkFlagRequired("home")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}
