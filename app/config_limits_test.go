package app

import (
	"path/filepath"
	"testing"

	"github.com/cometsync/cometsync/app/api"
)

// The sequencer API's limits are settings of cometsync.toml: written, read back and
// handed to the API; zero keeps the built-in default; a per-member cap not below the
// node's is refused.
func TestAPILimitSettings(t *testing.T) {
	home := t.TempDir()
	c := DefaultConfig()
	c.MaxSubscribers, c.MaxSubscribersPerMember, c.UnauthenticatedRate, c.UnauthenticatedBurst = 50, 3, 2.5, 7
	if _, err := InitHome(HomeOptions{Home: home, Moniker: "n", P2PAddress: "tcp://127.0.0.1:0", Config: c}); err != nil {
		t.Fatal(err)
	}
	_, got, err := LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	ac := got.apiConfig()
	if ac.MaxSubscribers != 50 || ac.MaxSubscribersPerMember != 3 || ac.UnauthenticatedRate != 2.5 || ac.UnauthenticatedBurst != 7 {
		t.Fatalf("api config %+v from %s", ac, filepath.Join(home, "config", "cometsync.toml"))
	}
	if d, def := DefaultConfig().apiConfig(), api.DefaultConfig(); d.MaxSubscribers != def.MaxSubscribers || d.MaxSubscribersPerMember != def.MaxSubscribersPerMember {
		t.Fatalf("zero settings changed the defaults: %+v", d)
	}
	c.MaxSubscribersPerMember = 50
	if err := c.Validate(); err == nil {
		t.Fatal("a per-member cap equal to the node's was accepted")
	}
}
