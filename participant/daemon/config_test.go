package daemon_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/internal/badgerx"
	"github.com/cometsync/cometsync/participant/daemon"
)

// The ledger time tolerance is an on-chain synchronizer parameter: a participant.toml
// that still sets it is refused with what to do, and what init writes does not set it.
func TestRetiredLedgerTimeToleranceRefused(t *testing.T) {
	dir := t.TempDir()
	sig, _ := crypto.GenerateSigningKey(nil)
	m, _ := crypto.NewMember(crypto.KindParticipant, "p", sig.Fingerprint())
	c := daemon.DefaultConfig()
	c.Member, c.Sequencers = m.String(), []string{"127.0.0.1:1"}
	if err := daemon.WriteHome(dir, c); err != nil {
		t.Fatal(err)
	}
	if _, err := daemon.Load(dir); err != nil {
		t.Fatalf("the written configuration: %v", err)
	}
	path := filepath.Join(dir, daemon.ConfigFile)
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), "ledger_time_tolerance") {
		t.Fatal("init writes the retired setting")
	}
	if err := os.WriteFile(path, append(b, []byte("\nledger_time_tolerance = \"1m\"\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := daemon.Load(dir)
	if err == nil || !strings.Contains(err.Error(), "on-chain synchronizer parameter") {
		t.Fatalf("a file setting ledger_time_tolerance: %v", err)
	}
}

// WipeDatabase (participant recover --wipe) refuses while another process holds the
// database, and removes it once it is free.
func TestWipeRefusesADatabaseInUse(t *testing.T) {
	dir := t.TempDir()
	c := daemon.DefaultConfig()
	db, err := badgerx.Open(filepath.Join(dir, c.Database), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(txn *badger.Txn) error { return txn.Set([]byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	if err := daemon.WipeDatabase(dir, c); !errors.Is(err, daemon.ErrDatabaseInUse) || !strings.Contains(err.Error(), "stop the participant first") {
		t.Fatalf("wiping a database in use: %v", err)
	}
	if empty, _ := daemon.DatabaseEmpty(dir, c); empty {
		t.Fatal("the database in use was removed")
	}
	db.Close()
	if err := daemon.WipeDatabase(dir, c); err != nil {
		t.Fatal(err)
	}
	if empty, _ := daemon.DatabaseEmpty(dir, c); !empty {
		t.Fatal("the database is still there")
	}
}

// metrics_address is off by default (init writes it empty, with a comment), reads back
// when set, and a malformed one is refused naming the field.
func TestMetricsAddressSetting(t *testing.T) {
	dir := t.TempDir()
	sig, _ := crypto.GenerateSigningKey(nil)
	m, _ := crypto.NewMember(crypto.KindParticipant, "p", sig.Fingerprint())
	c := daemon.DefaultConfig()
	c.Member, c.Sequencers = m.String(), []string{"127.0.0.1:1"}
	if c.MetricsAddress != "" {
		t.Fatalf("metrics are on by default: %q", c.MetricsAddress)
	}
	if err := daemon.WriteHome(dir, c); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, daemon.ConfigFile))
	if !strings.Contains(string(b), "\nmetrics_address = \"\"\n") {
		t.Fatalf("participant.toml does not show metrics_address:\n%s", b)
	}
	dir2 := t.TempDir()
	c.MetricsAddress = "127.0.0.1:5012"
	if err := daemon.WriteHome(dir2, c); err != nil {
		t.Fatal(err)
	}
	if got, err := daemon.Load(dir2); err != nil || got.MetricsAddress != c.MetricsAddress {
		t.Fatalf("read back metrics_address %q: %v", got.MetricsAddress, err)
	}
	c.MetricsAddress = "5012"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "metrics_address") {
		t.Fatalf("a malformed metrics_address: %v", err)
	}
}

// log_format is written by init (text), read back, and anything but text or json refused.
func TestLogFormatSetting(t *testing.T) {
	dir := t.TempDir()
	sig, _ := crypto.GenerateSigningKey(nil)
	m, _ := crypto.NewMember(crypto.KindParticipant, "p", sig.Fingerprint())
	c := daemon.DefaultConfig()
	if c.LogFormat != "text" {
		t.Fatalf("default log_format %q", c.LogFormat)
	}
	c.Member, c.Sequencers, c.LogFormat = m.String(), []string{"127.0.0.1:1"}, "json"
	if err := daemon.WriteHome(dir, c); err != nil {
		t.Fatal(err)
	}
	if got, err := daemon.Load(dir); err != nil || got.LogFormat != "json" {
		t.Fatalf("read back log_format %q: %v", got.LogFormat, err)
	}
	c.LogFormat = "xml"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "log_format") {
		t.Fatalf("log_format xml: %v", err)
	}
}
