package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/internal/badgerx"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/daemon"
	"github.com/cometsync/cometsync/participant/store"
)

// newParticipantPruneCmd returns `participant prune --home H --before OFFSET|TIME`.
func newParticipantPruneCmd() *cobra.Command {
	var w wrapperFlags
	var home, before string
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove the stopped participant's updates and archived contracts before an offset or time (RFC 3339), if it is a safe point",
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := openParticipant(home, &w)
			if err != nil {
				return err
			}
			dir := daemon.DatabasePath(o.Home, o.Config)
			if err := badgerx.NotInUse(dir, "participant", "cometsync participant start"); err != nil {
				return err
			}
			st, err := store.Open(dir, o.Logger)
			if err != nil {
				return err
			}
			defer st.Close()
			offset, err := strconv.ParseInt(before, 10, 64)
			if err != nil {
				t, terr := time.Parse(time.RFC3339Nano, before)
				if terr != nil {
					return fmt.Errorf("--before %q: an offset or an RFC 3339 time", before)
				}
				if offset, err = participant.PruneBeforeTime(st, t.UnixMicro()); err != nil {
					return err
				}
			}
			p, r, err := participant.Prune(st, offset)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "pruned before offset %d (safe at tick %d, commitments matched with %d counter-participants): %d updates and %d archived contracts removed\n",
				r.Before, p.Tick.Tick, len(p.Matched), r.Updates, r.Contracts)
			return nil
		},
	}
	w.add(cmd)
	cmd.Flags().StringVar(&home, "home", "", "participant home directory")
	cmd.Flags().StringVar(&before, "before", "", "prune before this offset, or before this time (RFC 3339)")
	_ = cmd.MarkFlagRequired("home")
	_ = cmd.MarkFlagRequired("before")
	return cmd
}
