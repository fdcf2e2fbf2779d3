package daemon_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/participant/daemon"
)

func TestConfigValidateNamesField(t *testing.T) {
	sig, _ := crypto.GenerateSigningKey(nil)
	m, _ := crypto.NewMember(crypto.KindParticipant, "p", sig.Fingerprint())
	good := daemon.DefaultConfig()
	good.Member, good.Sequencers = m.String(), []string{"127.0.0.1:1"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		field  string
		mutate func(*daemon.Config)
	}{
		{"member", func(c *daemon.Config) { c.Member = "alice" }},
		{"member", func(c *daemon.Config) { c.Member = "MED" + c.Member[3:] }},
		{"sequencers", func(c *daemon.Config) { c.Sequencers = nil }},
		{"sequencers", func(c *daemon.Config) { c.Sequencers = []string{"nowhere"} }},
		{"ledger_time_tolerance", func(c *daemon.Config) { c.RetiredLedgerTimeTolerance = "1m" }},
		{"keystore", func(c *daemon.Config) { c.KeyStore = "" }},
		{"database", func(c *daemon.Config) { c.Database = "" }},
		{"users_database", func(c *daemon.Config) { c.UsersDatabase = "" }},
		{"jwt_secret_file", func(c *daemon.Config) { c.JWTSecretFile = "" }},
		{"users_database", func(c *daemon.Config) { c.UsersDatabase = c.Database + "/" }},
		{"mediators", func(c *daemon.Config) { c.Mediators = []string{c.Member} }},
		{"ledger_api_address", func(c *daemon.Config) { c.LedgerAPIAddress = "5011" }},
		{"log_level", func(c *daemon.Config) { c.LogLevel = "loud" }},
		{"log_format", func(c *daemon.Config) { c.LogFormat = "xml" }},
		{"metrics_address", func(c *daemon.Config) { c.MetricsAddress = "5012" }},
		{"ledger_api_allow_plaintext", func(c *daemon.Config) { c.LedgerAPIAddress = "0.0.0.0:5011" }},
		{"ledger_api_allow_plaintext", func(c *daemon.Config) { c.LedgerAPIAddress = ":5011" }},
		{"ledger_api_tls_key_file", func(c *daemon.Config) { c.LedgerAPITLSCertFile = "tls/participant.crt" }},
		{"ledger_api_tls_cert_file", func(c *daemon.Config) { c.LedgerAPITLSKeyFile = "tls/participant.key" }},
		{"ledger_api_tls_client_ca_file", func(c *daemon.Config) { c.LedgerAPITLSClientCAFile = "tls/ca.crt" }},
		{"sequencer_tls_server_name", func(c *daemon.Config) { c.SequencerTLSServerName = "node0" }},
		{"sequencer_tls_key_file", func(c *daemon.Config) {
			c.SequencerTLSCAFile, c.SequencerTLSCertFile = "tls/ca.crt", "tls/participant.crt"
		}},
		{"sequencer_tls_cert_file", func(c *daemon.Config) {
			c.SequencerTLSCAFile, c.SequencerTLSKeyFile = "tls/ca.crt", "tls/participant.key"
		}},
	} {
		c := good
		tc.mutate(&c)
		err := c.Validate()
		var ce *daemon.ConfigError
		if !errors.Is(err, daemon.ErrInvalidConfig) || !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
}

// TestTLSSettingsReadBack: the TLS settings are written to participant.toml and read
// back, and a non-loopback Ledger API is accepted with TLS or explicit plaintext.
func TestTLSSettingsReadBack(t *testing.T) {
	sig, _ := crypto.GenerateSigningKey(nil)
	m, _ := crypto.NewMember(crypto.KindParticipant, "p", sig.Fingerprint())
	c := daemon.DefaultConfig()
	c.Member, c.Sequencers, c.LedgerAPIAddress = m.String(), []string{"10.0.0.1:26690"}, "0.0.0.0:5011"
	c.LedgerAPITLSCertFile, c.LedgerAPITLSKeyFile, c.LedgerAPITLSClientCAFile = "tls/p.crt", "tls/p.key", "tls/ca.crt"
	c.SequencerTLSCAFile, c.SequencerTLSServerName, c.SequencerTLSCertFile, c.SequencerTLSKeyFile = "tls/ca.crt", "node0", "tls/p.crt", "tls/p.key"
	dir := t.TempDir()
	if err := daemon.WriteHome(dir, c); err != nil {
		t.Fatal(err)
	}
	got, err := daemon.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.LedgerAPITLS(dir) != c.LedgerAPITLS(dir) || got.SequencerTLS(dir) != c.SequencerTLS(dir) || got.SequencerTLS(dir).CAFile != filepath.Join(dir, "tls/ca.crt") {
		t.Fatalf("read back %+v %+v", got.LedgerAPITLS(dir), got.SequencerTLS(dir))
	}
	c = got
	c.LedgerAPITLSCertFile, c.LedgerAPITLSKeyFile, c.LedgerAPITLSClientCAFile, c.LedgerAPIAllowPlaintext = "", "", "", true
	if err := c.Validate(); err != nil {
		t.Fatalf("explicit plaintext: %v", err)
	}
}
