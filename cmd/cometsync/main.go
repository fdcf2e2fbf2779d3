// Command cometsync is the single binary of cometsync: sequencer nodes, participants,
// mediators, the demo, testnets and the operator tools.
package main

import (
	"fmt"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// defaultGCPercent is the garbage collector's target unless GOGC is set: a node under
// load allocates many short-lived objects per submission, and collecting half as often
// (for about 1.5 times the heap) leaves measurably more of the CPU to the work.
const defaultGCPercent = 200

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
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
