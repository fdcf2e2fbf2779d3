package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/cometsync/cometsync/participant/daemon"
	"github.com/cometsync/cometsync/participant/snapshot"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// maxSnapshotBytes bounds the snapshot file a client accepts from ExportAcsSnapshot
// (gRPC's default of 4 MiB would refuse a large ACS).
const maxSnapshotBytes = 1 << 30

// newParticipantSnapshotCmd returns `participant snapshot`: signed ACS snapshots.
func newParticipantSnapshotCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "snapshot", Short: "Signed ACS snapshots: export one to rebuild a participant with recover --from-snapshot or to replicate a party"}
	cmd.AddCommand(newParticipantSnapshotExportCmd(), newParticipantSnapshotImportsCmd())
	return cmd
}

// addLedgerAPIFlags adds the flags of a call to a participant's Ledger API made by a
// command outside `cometsync ledger`: --ledger-api (the address) and the ledger CLI's
// token and TLS flags.
func addLedgerAPIFlags(cmd *cobra.Command, o *ledgerOpts, addr string, timeout time.Duration) {
	f := cmd.Flags()
	f.StringVar(&o.addr, addr, "", "host:port of the running participant's Ledger API (the call needs the ParticipantAdmin right)")
	f.StringVar(&o.token, "token", "", "JWT to send (with --"+addr+")")
	f.StringVar(&o.tokenFile, "token-file", "", "file holding the JWT to send (with --"+addr+")")
	f.StringVar(&o.secretFile, "secret-file", "", "file holding the participant's HS256 secret, to mint a token for --user (with --"+addr+")")
	f.StringVar(&o.user, "user", "", "user id to mint a token for (with --secret-file), e.g. participant_admin")
	f.StringVar(&o.audience, "audience", "", "audience of minted tokens (when the participant expects one)")
	f.DurationVar(&o.timeout, "timeout", timeout, "deadline of the call (an export at the next tick waits for it)")
	addLedgerTLSFlags(cmd, &o.tls)
}

// parseParties splits a comma-separated --parties.
func parseParties(s string) []string {
	var ps []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			ps = append(ps, p)
		}
	}
	return ps
}

// parseSnapshotAt parses --at: a tick, latest (0) or, when next is allowed, next.
func parseSnapshotAt(at string, nextAllowed bool) (tick int64, next bool, err error) {
	switch at {
	case "latest":
		return 0, false, nil
	case "next":
		if !nextAllowed {
			return 0, false, errors.New("--at next asks a running participant for its next tick: use it with --ledger-api")
		}
		return 0, true, nil
	}
	if tick, err = strconv.ParseInt(at, 10, 64); err != nil || tick <= 0 {
		return 0, false, fmt.Errorf("--at %q: a tick (sequencer time in microseconds, as a snapshot summary prints it), latest or next", at)
	}
	return tick, false, nil
}

// exportFromLedgerAPI asks the participant behind o for a snapshot and decodes it.
func exportFromLedgerAPI(ctx context.Context, o *ledgerOpts, req *pb.ExportAcsSnapshotRequest) (*snapshot.Snapshot, []byte, error) {
	c, err := o.connect()
	if err != nil {
		return nil, nil, err
	}
	defer c.conn.Close()
	cctx, cancel := c.call(ctx, true)
	defer cancel()
	r, err := pb.NewSnapshotServiceClient(c.conn).ExportAcsSnapshot(cctx, req, grpc.MaxCallRecvMsgSize(maxSnapshotBytes))
	if err != nil {
		return nil, nil, fmt.Errorf("export from %s: %w", o.addr, rpcError(err))
	}
	s, err := snapshot.Decode(r.Snapshot)
	if err != nil {
		return nil, nil, fmt.Errorf("the snapshot %s sent: %w", o.addr, err)
	}
	return s, r.Snapshot, nil
}

func printSnapshotSummary(out io.Writer, s *snapshot.Snapshot, size int, file string) {
	fmt.Fprintf(out, "snapshot at tick %d (next counter %d, ledger offset %d): %d contracts, %d bytes, written to %s\n",
		s.Tick, s.NextCounter, s.Offset, len(s.Contracts), size, file)
	// What may go from the chain with the snapshot kept: what was sequenced before the tick.
	fmt.Fprintf(out, "the tick is %s: recovery from this snapshot needs only what the sequencer sequenced from then on (node prune --before %[1]s keeps it)\n",
		time.UnixMicro(s.Tick).UTC().Format(time.RFC3339Nano))
}

func newParticipantSnapshotExportCmd() *cobra.Command {
	var w wrapperFlags
	var home, out, at, parties string
	lo := &ledgerOpts{}
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write a participant's signed ACS snapshot at a reconciliation tick (the latest without a request in flight by default) to --out: from its home while it is stopped (--home) or through its Ledger API while it runs (--ledger-api)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (home == "") == (lo.addr == "") {
				return errors.New("give --home (the home of a stopped participant) or --ledger-api (the Ledger API of a running one)")
			}
			tick, next, err := parseSnapshotAt(at, lo.addr != "")
			if err != nil {
				return err
			}
			ps := parseParties(parties)
			if next && len(ps) == 0 {
				return errors.New("--at next takes the snapshot of parties: name them with --parties")
			}
			var s *snapshot.Snapshot
			var b []byte
			if lo.addr != "" {
				s, b, err = exportFromLedgerAPI(cmd.Context(), lo, &pb.ExportAcsSnapshotRequest{Tick: tick, NextTick: next, Parties: ps})
			} else {
				var o daemon.Options
				if o, err = openParticipant(home, &w); err == nil {
					if s, err = daemon.ExportSnapshot(o, tick, ps); err == nil {
						b = s.Encode()
					} else if errors.Is(err, daemon.ErrDatabaseInUse) {
						err = fmt.Errorf("%w (or export through its Ledger API: --ledger-api ADDR)", err)
					}
				}
			}
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, b, 0o600); err != nil {
				return err
			}
			printSnapshotSummary(cmd.OutOrStdout(), s, len(b), out)
			return nil
		},
	}
	w.add(cmd)
	addLedgerAPIFlags(cmd, lo, "ledger-api", 2*time.Minute)
	cmd.Flags().StringVar(&home, "home", "", "home directory of the stopped participant")
	cmd.Flags().StringVar(&out, "out", "", "snapshot file to write")
	cmd.Flags().StringVar(&at, "at", "latest", "reconciliation tick (microseconds), latest, or next (with --ledger-api: the running participant's next tick; needs --parties)")
	cmd.Flags().StringVar(&parties, "parties", "", "only contracts with a stakeholder among these parties (comma-separated full party ids)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// newParticipantSnapshotImportsCmd returns `participant snapshot imports`: what happened
// to the party imports (`parties replicate`) of a running participant.
func newParticipantSnapshotImportsCmd() *cobra.Command {
	lo := &ledgerOpts{}
	cmd := &cobra.Command{
		Use:   "imports",
		Short: "List the party imports the running participant applied or refused since it started (through its Ledger API)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lo.addr == "" {
				return errors.New("--ledger-api: the running participant's Ledger API address is required")
			}
			return ledgerRun(cmd, lo, func(ctx context.Context, c *ledgerClient, out io.Writer) error {
				r, err := pb.NewSnapshotServiceClient(c.conn).ListPartyImports(ctx, &pb.ListPartyImportsRequest{})
				if err != nil {
					return err
				}
				printPartyImports(out, r.Imports)
				return nil
			})
		},
	}
	addLedgerAPIFlags(cmd, lo, "ledger-api", 30*time.Second)
	return cmd
}

func printPartyImports(out io.Writer, ims []*pb.PartyImport) {
	if len(ims) == 0 {
		fmt.Fprintln(out, "no party import applied or refused since the participant started")
		return
	}
	for _, im := range ims {
		if im.Error != "" {
			fmt.Fprintf(out, "%s at tick %d from %s: refused: %s\n", im.Party, im.Tick, im.Source, im.Error)
			continue
		}
		fmt.Fprintf(out, "%s at tick %d from %s: applied at offset %d: %d contracts imported, %d already active, %d requests re-armed\n",
			im.Party, im.Tick, im.Source, im.Offset, im.Imported, im.AlreadyActive, im.Rearmed)
	}
}
