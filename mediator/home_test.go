package mediator_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/mediator"
)

// The decision timeout is an on-chain synchronizer parameter: a mediator.toml that still
// sets it is refused with what to do.
func TestRetiredDecisionTimeoutRefused(t *testing.T) {
	dir := t.TempDir()
	sig, _ := crypto.GenerateSigningKey(nil)
	m, _ := crypto.NewMember(crypto.KindMediator, "m", sig.Fingerprint())
	c := mediator.DefaultHomeConfig()
	c.Member, c.Sequencers = m.String(), []string{"127.0.0.1:1"}
	if err := mediator.WriteHome(dir, c); err != nil {
		t.Fatal(err)
	}
	if _, err := mediator.LoadHome(dir); err != nil {
		t.Fatalf("the written configuration: %v", err)
	}
	path := filepath.Join(dir, mediator.HomeConfigFile)
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append(b, []byte("\ndecision_timeout = \"30s\"\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := mediator.LoadHome(dir); err == nil || !strings.Contains(err.Error(), "on-chain synchronizer parameter") {
		t.Fatalf("a file setting decision_timeout: %v", err)
	}
}
