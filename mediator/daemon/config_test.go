package daemon_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/mediator/daemon"
)

// The decision timeout is an on-chain synchronizer parameter: a mediator.toml that still
// sets it is refused with what to do.
func TestRetiredDecisionTimeoutRefused(t *testing.T) {
	dir := t.TempDir()
	sig, _ := crypto.GenerateSigningKey(nil)
	m, _ := crypto.NewMember(crypto.KindMediator, "m", sig.Fingerprint())
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
	if err := os.WriteFile(path, append(b, []byte("\ndecision_timeout = \"30s\"\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := daemon.Load(dir); err == nil || !strings.Contains(err.Error(), "on-chain synchronizer parameter") {
		t.Fatalf("a file setting decision_timeout: %v", err)
	}
}

// metrics_address is off by default, reads back from mediator.toml when set, and a
// malformed one is refused naming the field.
func TestHomeMetricsAddress(t *testing.T) {
	dir := t.TempDir()
	sig, _ := crypto.GenerateSigningKey(nil)
	m, _ := crypto.NewMember(crypto.KindMediator, "m", sig.Fingerprint())
	c := daemon.DefaultConfig()
	if c.MetricsAddress != "" {
		t.Fatalf("metrics are on by default: %q", c.MetricsAddress)
	}
	c.Member, c.Sequencers, c.MetricsAddress = m.String(), []string{"127.0.0.1:1"}, "127.0.0.1:5021"
	if err := daemon.WriteHome(dir, c); err != nil {
		t.Fatal(err)
	}
	if got, err := daemon.Load(dir); err != nil || got.MetricsAddress != c.MetricsAddress {
		t.Fatalf("read back metrics_address %q: %v", got.MetricsAddress, err)
	}
	c.MetricsAddress = "localhost"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "metrics_address") {
		t.Fatalf("a malformed metrics_address: %v", err)
	}
}

// log_format is written by init (text), read back, and anything but text or json refused.
func TestHomeLogFormat(t *testing.T) {
	dir := t.TempDir()
	sig, _ := crypto.GenerateSigningKey(nil)
	m, _ := crypto.NewMember(crypto.KindMediator, "m", sig.Fingerprint())
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

// TestNodeConfigValidateNamesTheField: StartNode refuses a bad NodeConfig before
// connecting, with a ConfigError naming the field.
func TestNodeConfigValidateNamesTheField(t *testing.T) {
	sig, _ := crypto.GenerateSigningKey(nil)
	enc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	good := func() daemon.NodeConfig {
		d := driver.DefaultConfig()
		d.Endpoints, d.Member, d.SigningKey = []string{"127.0.0.1:1"}, "MED::m::"+string(sig.Public().Fingerprint()), sig
		return daemon.NodeConfig{Driver: d, EncryptionKey: enc}
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("a good config: %v", err)
	}
	for field, mutate := range map[string]func(*daemon.NodeConfig){
		"Driver":        func(c *daemon.NodeConfig) { c.Driver.SigningKey = crypto.SigningPrivateKey{} },
		"EncryptionKey": func(c *daemon.NodeConfig) { c.EncryptionKey = crypto.EncryptionPrivateKey{} },
	} {
		c := good()
		mutate(&c)
		_, err := daemon.StartNode(context.Background(), c)
		var ce *daemon.ConfigError
		if !errors.As(err, &ce) || ce.Field != field || !errors.Is(err, daemon.ErrInvalidConfig) {
			t.Errorf("bad %s: got %v", field, err)
		}
	}
}

// TestConfigValidateNamesTheKey: each bad setting of mediator.toml is a ConfigError
// naming its key.
func TestConfigValidateNamesTheKey(t *testing.T) {
	sig, _ := crypto.GenerateSigningKey(nil)
	good := daemon.DefaultConfig()
	good.Member, good.Sequencers = "MED::m::"+string(sig.Public().Fingerprint()), []string{"127.0.0.1:26690"}
	if err := good.Validate(); err != nil {
		t.Fatalf("a good config: %v", err)
	}
	for key, mutate := range map[string]func(*daemon.Config){
		"member":           func(c *daemon.Config) { c.Member = "PAR::p::" + string(sig.Public().Fingerprint()) },
		"sequencers":       func(c *daemon.Config) { c.Sequencers = nil },
		"decision_timeout": func(c *daemon.Config) { c.RetiredDecisionTimeout = "30s" },
		"keystore":         func(c *daemon.Config) { c.KeyStore = "" },
		"database":         func(c *daemon.Config) { c.Database = "" },
		"log_format":       func(c *daemon.Config) { c.LogFormat = "xml" },
		"metrics_address":  func(c *daemon.Config) { c.MetricsAddress = "nowhere" },
	} {
		c := good
		mutate(&c)
		var ce *daemon.ConfigError
		if err := c.Validate(); !errors.As(err, &ce) || ce.Field != key || !errors.Is(err, daemon.ErrInvalidConfig) {
			t.Errorf("bad %s: got %v", key, err)
		}
	}
}

// The sequencer_tls_* settings read back from mediator.toml (paths resolved against the
// home), and inconsistent ones are refused naming the key.
func TestHomeSequencerTLS(t *testing.T) {
	dir := t.TempDir()
	sig, _ := crypto.GenerateSigningKey(nil)
	m, _ := crypto.NewMember(crypto.KindMediator, "m", sig.Fingerprint())
	c := daemon.DefaultConfig()
	c.Member, c.Sequencers = m.String(), []string{"10.0.0.1:26690"}
	c.SequencerTLSCAFile, c.SequencerTLSServerName, c.SequencerTLSCertFile, c.SequencerTLSKeyFile = "tls/ca.crt", "node0", "tls/m.crt", "tls/m.key"
	if err := daemon.WriteHome(dir, c); err != nil {
		t.Fatal(err)
	}
	got, err := daemon.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tls := got.SequencerTLS(dir); tls.CAFile != filepath.Join(dir, "tls/ca.crt") || tls.ServerName != "node0" || tls.KeyFile != filepath.Join(dir, "tls/m.key") {
		t.Fatalf("read back %+v", tls)
	}
	for field, mutate := range map[string]func(*daemon.Config){
		"sequencer_tls_server_name": func(c *daemon.Config) { c.SequencerTLSCAFile = "" },
		"sequencer_tls_key_file":    func(c *daemon.Config) { c.SequencerTLSKeyFile = "" },
	} {
		bad := got
		mutate(&bad)
		var ce *daemon.ConfigError
		if err := bad.Validate(); !errors.As(err, &ce) || ce.Field != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
}
