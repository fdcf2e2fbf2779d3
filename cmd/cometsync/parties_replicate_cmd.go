package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/daemon"
)

// newPartiesReplicateCmd is `parties replicate`: the import side of party replication
// (docs/recovering-from-the-chain.md, "Party replication"). The new host's home keeps the
// party's snapshot in imports/ and its database is rebuilt by replay, which imports the
// contracts at the snapshot's tick; the participant verifies the snapshot then (a refused
// import is logged with its reason and the participant goes on without it).
func newPartiesReplicateCmd() *cobra.Command {
	var party, snap, home string
	var wipe bool
	cmd := &cobra.Command{
		Use:   "replicate",
		Short: "Import a party's ACS snapshot (from a current host) into the stopped new host --to-home: applied at the snapshot's tick by the replay of its stream",
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := os.ReadFile(snap)
			if err != nil {
				return err
			}
			im, err := participant.DecodeImport(b)
			if err != nil {
				return fmt.Errorf("%s: %w", snap, err)
			}
			if got := string(im.Party); got != party && !strings.HasPrefix(got, party+"::") {
				return fmt.Errorf("%s: %w: it holds %s, not %s", snap, participant.ErrNotForParty, got, party)
			}
			c, err := daemon.Load(home)
			if err != nil {
				return err
			}
			empty, err := daemon.DatabaseEmpty(home, c)
			if err != nil {
				return err
			}
			if !empty && !wipe {
				return fmt.Errorf("the database of %s is not empty: the import applies at the snapshot's tick, so the database is rebuilt by replay (add --wipe)", home)
			}
			if !empty {
				if err := daemon.WipeDatabase(home, c); err != nil {
					return err
				}
			}
			file, err := participant.WriteImport(filepath.Join(home, participant.ImportsDir), im)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "import of %s kept in %s: %d contracts signed by %s at tick %d; start the participant: its replay imports them at the tick\n",
				im.Party, file, len(im.Snapshot.Contracts), im.Snapshot.Participant, im.Snapshot.Tick)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&party, "party", "", "the party (name::namespace, or name::)")
	f.StringVar(&snap, "snapshot", "", "the party's ACS snapshot file, exported by a current host")
	f.StringVar(&home, "to-home", "", "the new host's participant home (stopped)")
	f.BoolVar(&wipe, "wipe", false, "remove the new host's database first (it is rebuilt by replay; refused while the participant runs)")
	for _, n := range []string{"party", "snapshot", "to-home"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}
