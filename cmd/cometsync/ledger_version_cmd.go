package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// newLedgerVersionCmd returns `ledger version`: the participant's
// VersionService.GetLedgerApiVersion.
func newLedgerVersionCmd(o *ledgerOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the Ledger API version and the participant's cometsync, commit and protocol versions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return ledgerRun(cmd, o, func(ctx context.Context, c *ledgerClient, out io.Writer) error {
				v, err := c.vers.GetLedgerApiVersion(ctx, &pb.GetLedgerApiVersionRequest{})
				if err == nil {
					fmt.Fprintf(out, "ledger api: %s\ncometsync:  %s\ncommit:     %s\nprotocol:   %s\n", v.Version, v.ModuleVersion, v.Commit, v.ProtocolVersion)
				}
				return err
			})
		},
	}
}
