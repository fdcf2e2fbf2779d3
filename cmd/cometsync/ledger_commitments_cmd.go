package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/participant/daemon"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// newLedgerCommitmentsCmd returns `ledger commitments`: the participant's recent ACS
// commitment comparisons (CommitmentService, ParticipantAdmin).
func newLedgerCommitmentsCmd(o *ledgerOpts) *cobra.Command {
	var mismatches bool
	cmd := &cobra.Command{
		Use:   "commitments",
		Short: "List how the participant's ACS commitments compared with its counter-participants' (recent periods; participant admin)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return ledgerRun(cmd, o, func(ctx context.Context, c *ledgerClient, out io.Writer) error {
				r, err := c.acs.ListCommitmentOutcomes(ctx, &pb.ListCommitmentOutcomesRequest{MismatchesOnly: mismatches})
				if err != nil {
					return err
				}
				printCommitmentOutcomes(out, r.Outcomes)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&mismatches, "mismatches", false, "only the mismatches")
	return cmd
}

func printCommitmentOutcomes(out io.Writer, os []*pb.CommitmentOutcome) {
	if len(os) == 0 {
		fmt.Fprintln(out, "no ACS commitment compared yet")
		return
	}
	for _, o := range os {
		verdict := "match"
		if !o.Match {
			verdict = "MISMATCH own " + hex.EncodeToString(o.Own) + " theirs " + hex.EncodeToString(o.Theirs)
		}
		fmt.Fprintf(out, "%s (%d, %d] %s\n", o.CounterParticipant, o.PeriodStartMicros, o.PeriodEndMicros, verdict)
	}
}

// newParticipantCommitmentsCmd returns `participant commitments --home DIR`: the same
// list, asked of the participant in DIR through its Ledger API as participant_admin
// (the token is minted from the home's JWT secret).
func newParticipantCommitmentsCmd() *cobra.Command {
	var home string
	var mismatches bool
	cmd := &cobra.Command{
		Use:   "commitments",
		Short: "List how the running participant's ACS commitments compared with its counter-participants' (through its Ledger API)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := daemon.Load(home)
			if err != nil {
				return err
			}
			secret := c.JWTSecretFile
			if !filepath.IsAbs(secret) {
				secret = filepath.Join(home, secret)
			}
			o := &ledgerOpts{addr: c.LedgerAPIAddress, secretFile: secret, user: "participant_admin", audience: c.JWTAudience, timeout: 30 * time.Second}
			return ledgerRun(cmd, o, func(ctx context.Context, lc *ledgerClient, out io.Writer) error {
				r, err := lc.acs.ListCommitmentOutcomes(ctx, &pb.ListCommitmentOutcomesRequest{MismatchesOnly: mismatches})
				if err != nil {
					return err
				}
				printCommitmentOutcomes(out, r.Outcomes)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "participant home directory")
	cmd.Flags().BoolVar(&mismatches, "mismatches", false, "only the mismatches")
	_ = cmd.MarkFlagRequired("home")
	return cmd
}
