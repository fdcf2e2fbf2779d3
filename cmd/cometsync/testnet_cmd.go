package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/testnet/procnet"
)

func init() { subcommands = append(subcommands, newTestnetCmd) }

func newTestnetCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "testnet", Short: "Generate and run a multi-validator network as separate processes on this machine"}
	var validators, participants, mediators int
	initCmd := &cobra.Command{
		Use:   "init DIR",
		Short: "Generate every validator's home, one genesis, member key files and DIR/testnet.json",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := procnet.Init(args[0], validators, participants, mediators)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "testnet in %s\n  synchronizer %s\n  validators   %d\n  members      %d (key files in %s/members)\nstart it with: cometsync testnet start %s\n",
				args[0], m.SynchronizerID, len(m.Nodes), len(m.Members), args[0], args[0])
			return nil
		},
	}
	initCmd.Flags().IntVar(&validators, "validators", 4, "number of validators")
	initCmd.Flags().IntVar(&participants, "participants", 3, "participants in the genesis")
	initCmd.Flags().IntVar(&mediators, "mediators", 1, "mediators in the genesis")
	startCmd := &cobra.Command{
		Use:   "start DIR",
		Short: "Start every validator as its own process (logs in each home's node.log)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := procnet.Load(args[0])
			if err != nil {
				return err
			}
			bin, err := os.Executable()
			if err != nil {
				return err
			}
			for i := range m.Nodes {
				if err := procnet.StartNode(m, i, bin); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "started node %d (%s)\n", i, m.Nodes[i].Home)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
			defer cancel()
			for i := range m.Nodes {
				if err := procnet.WaitHeight(ctx, m, i, 1); err != nil {
					return err
				}
			}
			return printStatus(cmd, m)
		},
	}
	stopCmd := &cobra.Command{
		Use:   "stop DIR",
		Short: "Stop every validator (SIGTERM, then SIGKILL after 10s)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := procnet.Load(args[0])
			if err != nil {
				return err
			}
			for i := range m.Nodes {
				if err := procnet.StopNode(m, i, 10*time.Second); err != nil {
					return err
				}
			}
			fmt.Fprintln(cmd.OutOrStdout(), "stopped")
			return nil
		},
	}
	statusCmd := &cobra.Command{
		Use:   "status DIR",
		Short: "Show each validator's process, height, app hash and peers",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := procnet.Load(args[0])
			if err != nil {
				return err
			}
			return printStatus(cmd, m)
		},
	}
	cmd.AddCommand(initCmd, startCmd, stopCmd, statusCmd)
	return cmd
}

func printStatus(cmd *cobra.Command, m *procnet.Manifest) error {
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "node\tprocess\theight\tapp hash\tpeers\tapi")
	for i, s := range procnet.Status(cmd.Context(), m) {
		state := "stopped"
		if s.Running {
			state = "running"
		}
		hash := s.AppHash
		if len(hash) > 12 {
			hash = hash[:12]
		}
		if s.Err != nil {
			hash = "rpc: " + s.Err.Error()
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%d\t%s\n", i, state, s.Height, hash, s.Peers, m.Nodes[i].API)
	}
	return tw.Flush()
}
