package main

import (
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/testnet"
)

func init() { subcommands = append(subcommands, newDemoCmd) }

func newDemoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Run a one-validator chain and three members multicasting, in one process",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return testnet.RunDemo(ctx, cmd.OutOrStdout())
		},
	}
}
