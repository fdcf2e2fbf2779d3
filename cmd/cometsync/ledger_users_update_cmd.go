package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// newLedgerUsersUpdateCmd returns `users update`: UpdateUser with the fields whose flags
// were given.
func newLedgerUsersUpdateCmd(o *ledgerOpts) *cobra.Command {
	var primary string
	var deactivate, activate bool
	var annotations []string
	cmd := &cobra.Command{
		Use:   "update ID",
		Short: "Change a user's primary party, annotations, or deactivate it (its tokens are refused) and reactivate it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &pb.UpdateUserRequest{User: &pb.User{Id: args[0], PrimaryParty: primary, IsDeactivated: deactivate}}
			if deactivate && activate {
				return errors.New("--deactivate and --activate exclude each other")
			}
			if deactivate || activate {
				req.UpdateMask = append(req.UpdateMask, "is_deactivated")
			}
			if cmd.Flags().Changed("primary-party") {
				req.UpdateMask = append(req.UpdateMask, "primary_party")
			}
			if len(annotations) > 0 {
				req.User.Annotations = map[string]string{}
				for _, kv := range annotations {
					k, v, ok := strings.Cut(kv, "=")
					if !ok {
						return fmt.Errorf("--annotate %q: want KEY=VALUE (KEY= removes KEY)", kv)
					}
					req.User.Annotations[k] = v
				}
				req.UpdateMask = append(req.UpdateMask, "annotations")
			}
			if len(req.UpdateMask) == 0 {
				return errors.New("nothing to update: give --primary-party, --annotate, --deactivate or --activate")
			}
			return ledgerRun(cmd, o, func(ctx context.Context, c *ledgerClient, out io.Writer) error {
				resp, err := c.users.UpdateUser(ctx, req)
				if err == nil {
					printUser(out, resp.User)
				}
				return err
			})
		},
	}
	cmd.Flags().StringVar(&primary, "primary-party", "", "the new primary party (empty clears it)")
	cmd.Flags().StringArrayVar(&annotations, "annotate", nil, "set annotation KEY=VALUE, or remove it with KEY= (repeatable)")
	cmd.Flags().BoolVar(&deactivate, "deactivate", false, "deactivate the user: its tokens are refused")
	cmd.Flags().BoolVar(&activate, "activate", false, "reactivate the user")
	return cmd
}
