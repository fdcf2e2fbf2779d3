package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/internal/badgerx"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/daemon"
	"github.com/cometsync/cometsync/participant/snapshot"
	"github.com/cometsync/cometsync/participant/store"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// replicateFlags are the flags of `parties replicate`.
type replicateFlags struct {
	party, snap, fromHome, home string
	wipe                        bool
	w                           wrapperFlags // the source's key store (--from-home)
	lo                          ledgerOpts   // the source's Ledger API (--from-ledger-api)
}

// newPartiesReplicateCmd is `parties replicate`: the import side of party replication
// (docs/recovering-from-the-chain.md, "Party replication"). The party's snapshot comes
// from a file (--snapshot), from a current host's stopped home (--from-home), or from a
// running current host's Ledger API (--from-ledger-api, at its next reconciliation tick
// at which the new host hosts the party). The new host's home keeps it in imports/ and
// its database is rebuilt by replay, which imports the contracts at the snapshot's tick;
// the participant verifies the snapshot then (a refused import is logged with its reason,
// listed by `participant snapshot imports`, and the participant goes on without it).
func newPartiesReplicateCmd() *cobra.Command {
	f := &replicateFlags{}
	cmd := &cobra.Command{
		Use:   "replicate",
		Short: "Import a party's ACS snapshot (from a current host: a file, its stopped home or its Ledger API) into the stopped new host --to-home: applied at the snapshot's tick by the replay of its stream",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sources := 0
			for _, s := range []string{f.snap, f.fromHome, f.lo.addr} {
				if s != "" {
					sources++
				}
			}
			if sources != 1 {
				return errors.New("give the party's snapshot with exactly one of --snapshot FILE, --from-home SRC (a current host, stopped) and --from-ledger-api ADDR (a current host, running)")
			}
			c, err := daemon.Load(f.home)
			if err != nil {
				return err
			}
			if err := checkNewHost(f.home, c, f.wipe); err != nil {
				return err
			}
			im, from, err := f.source(cmd, c.Member)
			if err != nil {
				return err
			}
			if got := string(im.Party); got != f.party && !strings.HasPrefix(got, f.party+"::") {
				return fmt.Errorf("%s: %w: it holds %s, not %s", from, participant.ErrNotForParty, got, f.party)
			}
			if im.Snapshot.Participant == c.Member {
				return fmt.Errorf("%s: the snapshot is signed by %s itself: export it from a current host of %s", from, c.Member, im.Party)
			}
			if f.wipe {
				if err := daemon.WipeDatabase(f.home, c); err != nil {
					return err
				}
			}
			file, err := participant.WriteImport(filepath.Join(f.home, participant.ImportsDir), im)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "import of %s kept in %s: %d contracts signed by %s at tick %d; start the participant: its replay imports them at the tick\n",
				im.Party, file, len(im.Snapshot.Contracts), im.Snapshot.Participant, im.Snapshot.Tick)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.party, "party", "", "the party (name::namespace; with --snapshot also name::)")
	fl.StringVar(&f.snap, "snapshot", "", "the party's ACS snapshot file, exported by a current host")
	fl.StringVar(&f.fromHome, "from-home", "", "home of a current host of the party, stopped: export the party's snapshot at its latest tick from there")
	fl.StringVar(&f.home, "to-home", "", "the new host's participant home (stopped)")
	fl.BoolVar(&f.wipe, "wipe", false, "remove the new host's database first (it is rebuilt by replay; refused while the participant runs)")
	f.w.add(cmd) // the key store of --from-home
	addLedgerAPIFlags(cmd, &f.lo, "from-ledger-api", 2*time.Minute)
	for _, n := range []string{"party", "to-home"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}

// checkNewHost refuses a new host that runs, or whose database holds events without
// --wipe: the import applies at the snapshot's tick, so the database is rebuilt by replay.
// It runs before the export, which may wait for a tick.
func checkNewHost(home string, c daemon.Config, wipe bool) error {
	if err := badgerx.NotInUse(daemon.DatabasePath(home, c), "participant", "cometsync participant start"); err != nil {
		return err
	}
	empty, err := daemon.DatabaseEmpty(home, c)
	if err != nil {
		return err
	}
	if !empty && !wipe {
		return fmt.Errorf("the database of %s is not empty: the import applies at the snapshot's tick, so the database is rebuilt by replay (add --wipe)", home)
	}
	return nil
}

// source returns the party's import from --snapshot, --from-home or --from-ledger-api,
// and what it came from (for errors).
func (f *replicateFlags) source(cmd *cobra.Command, newHost string) (participant.PartyImport, string, error) {
	if f.snap != "" {
		b, err := os.ReadFile(f.snap)
		if err != nil {
			return participant.PartyImport{}, f.snap, err
		}
		im, err := participant.DecodeImport(b)
		if err != nil {
			return participant.PartyImport{}, f.snap, fmt.Errorf("%s: %w", f.snap, err)
		}
		return im, f.snap, nil
	}
	if !strings.Contains(strings.TrimSuffix(f.party, "::"), "::") {
		return participant.PartyImport{}, "", fmt.Errorf("--party %s: exporting from a host needs the full party id (name::namespace, as `ledger parties list` prints it)", f.party)
	}
	var s *snapshot.Snapshot
	var err error
	from := f.fromHome
	if f.fromHome != "" {
		s, err = exportFromHome(f.fromHome, &f.w, f.party)
	} else {
		from = f.lo.addr
		s, _, err = exportFromLedgerAPI(cmd.Context(), &f.lo, &pb.ExportAcsSnapshotRequest{NextTick: true, Parties: []string{f.party}, NewHost: newHost})
	}
	if err != nil {
		return participant.PartyImport{}, from, err
	}
	if len(s.Contracts) == 0 {
		return participant.PartyImport{}, from, fmt.Errorf("%s: the snapshot of %s at tick %d holds no contract: %s does not host the party there, or the party has no active contract (then `parties enable` alone moves it)",
			from, f.party, s.Tick, s.Participant)
	}
	return participant.PartyImport{Party: ledger.Party(f.party), Snapshot: s}, from, nil
}

// exportFromHome takes party's snapshot at the latest tick of the stopped participant in
// home.
func exportFromHome(home string, w *wrapperFlags, party string) (*snapshot.Snapshot, error) {
	o, err := openParticipant(home, w)
	if err != nil {
		return nil, err
	}
	s, err := daemon.ExportSnapshot(o, 0, []string{party})
	switch {
	case errors.Is(err, daemon.ErrDatabaseInUse):
		return nil, fmt.Errorf("%w (or export from the running participant: --from-ledger-api ADDR)", err)
	case errors.Is(err, store.ErrNoTick):
		return nil, fmt.Errorf("%s: %w: the participant records one at each reconciliation tick its stream crosses with no request in flight; run it past one, or export from it running (--from-ledger-api ADDR)", home, err)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", home, err)
	}
	return s, nil
}
