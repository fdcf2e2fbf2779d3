package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// newLedgerPartiesUpdateCmd returns `parties update`: UpdatePartyDetails with the fields
// whose flags were given.
func newLedgerPartiesUpdateCmd(o *ledgerOpts) *cobra.Command {
	var displayName string
	var annotations []string
	cmd := &cobra.Command{
		Use:   "update PARTY",
		Short: "Change a hosted party's participant-local display name or annotations",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &pb.UpdatePartyDetailsRequest{PartyDetails: &pb.PartyDetails{Party: args[0], DisplayName: displayName}}
			if cmd.Flags().Changed("display-name") {
				req.UpdateMask = append(req.UpdateMask, "display_name")
			}
			if len(annotations) > 0 {
				req.PartyDetails.Annotations = map[string]string{}
				for _, kv := range annotations {
					k, v, ok := strings.Cut(kv, "=")
					if !ok {
						return fmt.Errorf("--annotate %q: want KEY=VALUE (KEY= removes KEY)", kv)
					}
					req.PartyDetails.Annotations[k] = v
				}
				req.UpdateMask = append(req.UpdateMask, "annotations")
			}
			if len(req.UpdateMask) == 0 {
				return errors.New("nothing to update: give --display-name or --annotate")
			}
			return ledgerRun(cmd, o, func(ctx context.Context, c *ledgerClient, out io.Writer) error {
				resp, err := c.party.UpdatePartyDetails(ctx, req)
				if err == nil {
					printPartyDetails(out, resp.PartyDetails)
				}
				return err
			})
		},
	}
	cmd.Flags().StringVar(&displayName, "display-name", "", "the new display name (empty clears it)")
	cmd.Flags().StringArrayVar(&annotations, "annotate", nil, "set annotation KEY=VALUE, or remove it with KEY= (repeatable)")
	return cmd
}

// newLedgerPartiesGetCmd returns `parties get`: GetParties.
func newLedgerPartiesGetCmd(o *ledgerOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "get PARTY...",
		Short: "Print the details of hosted parties (parties not hosted here are left out)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return ledgerRun(cmd, o, func(ctx context.Context, c *ledgerClient, out io.Writer) error {
				resp, err := c.party.GetParties(ctx, &pb.GetPartiesRequest{Parties: args})
				if err != nil {
					return err
				}
				for _, d := range resp.PartyDetails {
					printPartyDetails(out, d)
				}
				return nil
			})
		},
	}
}

func printPartyDetails(out io.Writer, d *pb.PartyDetails) {
	fmt.Fprintf(out, "party:        %s\ndisplay name: %s\n", d.Party, d.DisplayName)
	for _, k := range slices.Sorted(maps.Keys(d.Annotations)) {
		fmt.Fprintf(out, "annotation:   %s=%s\n", k, d.Annotations[k])
	}
}
