package main

import (
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/testnet"
)

func init() { subcommands = append(subcommands, newDemoCmd) }

func newDemoCmd() *cobra.Command {
	var multicast bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the showcase in one process: a one-validator chain, a mediator and three participants settle a DvP",
		Long: `Run the showcase in one process: a one-validator chain, a mediator and three
participants (a bank's, an asset registry's, and one hosting a buyer and a seller)
settle a delivery-versus-payment through the transaction protocol. It prints what each
participant holds — each issuer sees only its own leg — then wipes the traders'
participant, rebuilds it from the chain and prints equal ACS hashes.

With --multicast it runs the sequencer-only demo instead: three members multicasting to
overlapping recipient sets, with delivery and order consistency checks.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			if multicast {
				return testnet.RunDemo(ctx, cmd.OutOrStdout())
			}
			return testnet.RunShowcase(ctx, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&multicast, "multicast", false, "run the sequencer-only multicast demo")
	return cmd
}
