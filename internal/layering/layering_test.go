package layering_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/cometsync/cometsync/"

// forbidden are import path prefixes no core or wire-contract package may depend on,
// directly or not.
var forbidden = []string{
	module + "driver",
	module + "app",
	module + "participant/store",
	module + "internal/metricshttp",
	"google.golang.org/grpc",
	"github.com/prometheus/",
	"github.com/spf13/viper",
	"github.com/dgraph-io/badger",
	"github.com/cometbft/cometbft/rpc",
	"github.com/cometbft/cometbft/node",
}

// cores are the packages that must stay pure: the participant's engine, the mediator's
// core, the shared confirmation protocol, the sequencer API's shared definitions (which
// may use gRPC's status types, being the client's and server's common contract), and
// topology and the stream proofs (seqproof).
var cores = map[string][]string{
	"participant/engine":      nil,
	"participant/commitments": nil,
	"mediator":                nil,
	"protocol":                nil,
	"topology":                nil,
	"ledger":                  nil,
	"seqapi":                  {"google.golang.org/grpc"},
	"seqproof":                nil,
}

func TestCoresDependOnNoIOPackage(t *testing.T) {
	for pkg, allowed := range cores {
		t.Run(pkg, func(t *testing.T) {
			t.Parallel()
			out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}: {{join .Imports " "}}`, module+pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) < 2 {
				t.Fatalf("go list -deps %s listed %d packages", pkg, len(lines))
			}
			// Report the edges from our own packages into forbidden ones: the edges to cut.
			for _, line := range lines {
				from, imports, _ := strings.Cut(line, ": ")
				if !strings.HasPrefix(from, module) || forbiddenDep(from, nil) {
					continue
				}
				for _, d := range strings.Fields(imports) {
					if forbiddenDep(d, allowed) {
						t.Errorf("%s depends on %s: %s imports it", pkg, d, strings.TrimPrefix(from, module))
					}
				}
			}
		})
	}
}

func forbiddenDep(dep string, allowed []string) bool {
	for _, a := range allowed {
		if strings.HasPrefix(dep, a) {
			return false
		}
	}
	for _, f := range forbidden {
		if strings.HasPrefix(dep, f) {
			return true
		}
	}
	return false
}
