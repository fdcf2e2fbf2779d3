package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	cmtversion "github.com/cometbft/cometbft/version"
	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/seqapi"
)

func init() { subcommands = append(subcommands, newVersionCmd) }

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the cometsync version, VCS commit, CometBFT, protocol and Go versions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bi, _ := debug.ReadBuildInfo()
			buildVersion(bi).write(cmd.OutOrStdout())
			return nil
		},
	}
}

// versionInfo is what `cometsync version` prints.
type versionInfo struct {
	Module   string // the main module's version, "(devel)" for a build from a checkout
	Commit   string // vcs.revision, "unknown" when the build did not stamp it
	Modified bool   // vcs.modified: the checkout had uncommitted changes
	CometBFT string
	Protocol string
	Go       string
}

// buildVersion reads the versions from bi (nil when the binary carries no build
// information).
func buildVersion(bi *debug.BuildInfo) versionInfo {
	v := versionInfo{Module: "(devel)", Commit: "unknown", CometBFT: "v" + cmtversion.TMCoreSemVer, Protocol: seqapi.ProtocolVersion, Go: runtime.Version()}
	if bi == nil {
		return v
	}
	if bi.Main.Version != "" {
		v.Module = bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == "github.com/cometbft/cometbft" {
			v.CometBFT = d.Version
			if d.Replace != nil && d.Replace.Version != "" {
				v.CometBFT = d.Replace.Version
			}
		}
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	if bi.GoVersion != "" {
		v.Go = bi.GoVersion
	}
	return v
}

func (v versionInfo) write(w io.Writer) {
	commit := v.Commit
	if v.Modified {
		commit += " (modified)"
	}
	fmt.Fprintf(w, "cometsync: %s\ncommit:    %s\ncometbft:  %s\nprotocol:  %s\ngo:        %s\n", v.Module, commit, v.CometBFT, v.Protocol, v.Go)
}
