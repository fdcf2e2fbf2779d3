package daemon_test

import (
	"errors"
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
