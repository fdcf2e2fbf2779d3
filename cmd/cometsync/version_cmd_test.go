package main

import (
	"bytes"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/seqapi"
)

// TestVersionCommand: `cometsync version` prints the module version (a test binary is
// "(devel)"), a commit line, the CometBFT version the module builds with, the protocol
// version and the Go version.
func TestVersionCommand(t *testing.T) {
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"version"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	t.Logf("$ cometsync version\n%s", out.String())
	for _, want := range []string{"cometsync: ", "commit: ", "cometbft:  v0.", "protocol:  " + seqapi.ProtocolVersion + "\n", "go:        " + runtime.Version() + "\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q", want)
		}
	}
}

// TestBuildVersion: the versions come from the build information: a tagged module
// version, the VCS revision with its modified flag, and the CometBFT dependency
// (through a replace when there is one); without build information the defaults.
func TestBuildVersion(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.99.1",
		Main:      debug.Module{Path: "github.com/cometsync/cometsync", Version: "v1.2.3"},
		Deps: []*debug.Module{
			{Path: "github.com/spf13/cobra", Version: "v1.8.0"},
			{Path: "github.com/cometbft/cometbft", Version: "v0.39.4", Replace: &debug.Module{Path: "../cometbft", Version: "v0.39.5-fork"}},
		},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "true"}},
	}
	var out bytes.Buffer
	buildVersion(bi).write(&out)
	want := "cometsync: v1.2.3\ncommit:    0123abcd (modified)\ncometbft:  v0.39.5-fork\nprotocol:  " + seqapi.ProtocolVersion + "\ngo:        go1.99.1\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
	v := buildVersion(nil)
	if v.Module != "(devel)" || v.Commit != "unknown" || v.Modified || v.CometBFT == "" {
		t.Fatalf("without build information: %+v", v)
	}
}
