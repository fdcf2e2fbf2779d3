// Command cometsync is the single binary of cometsync: sequencer nodes, participants,
// mediators, the demo, testnets and the operator tools.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "cometsync",
		Short:         "A Canton-style privacy-preserving synchronizer on a CometBFT chain",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	for _, add := range subcommands {
		root.AddCommand(add())
	}
	return root
}

// subcommands lists the constructors of the top-level commands; each file of this package
// registers its own in an init function so that commands stay in their own files.
var subcommands []func() *cobra.Command
