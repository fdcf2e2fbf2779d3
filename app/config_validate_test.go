package app

import (
	"errors"
	"testing"
	"time"
)

func TestConfigValidateNamesField(t *testing.T) {
	for _, tc := range []struct {
		field  string
		mutate func(*Config)
	}{
		{"api_listen_address", func(c *Config) { c.APIListenAddress = "nowhere" }},
		{"metrics_listen_address", func(c *Config) { c.MetricsListenAddress = "nowhere" }},
		{"log_level", func(c *Config) { c.LogLevel = "loud" }},
		{"log_format", func(c *Config) { c.LogFormat = "xml" }},
		{"token_ttl", func(c *Config) { c.TokenTTL = 0 }},
		{"snapshot_interval", func(c *Config) { c.SnapshotInterval = -1 }},
		{"min_retain_blocks", func(c *Config) { c.MinRetainBlocks = -1 }},
		{"integrity_check_interval", func(c *Config) { c.IntegrityCheckInterval = -time.Second }},
		{"snapshot_keep_recent", func(c *Config) { c.SnapshotKeepRecent = 0 }},
		{"max_subscribers", func(c *Config) { c.MaxSubscribers = -1 }},
		{"max_subscribers_per_member", func(c *Config) { c.MaxSubscribersPerMember = -1 }},
		{"unauthenticated_rate", func(c *Config) { c.UnauthenticatedRate = -1 }},
		{"unauthenticated_burst", func(c *Config) { c.UnauthenticatedBurst = -1 }},
		{"max_subscribers_per_member", func(c *Config) { c.MaxSubscribers, c.MaxSubscribersPerMember = 5, 5 }},
		{"api_allow_plaintext", func(c *Config) { c.APIListenAddress = "0.0.0.0:26690" }},
		{"api_allow_plaintext", func(c *Config) { c.APIListenAddress = "10.1.2.3:26690" }},
		{"api_tls_key_file", func(c *Config) { c.APITLSCertFile = "config/tls/node.crt" }},
		{"api_tls_cert_file", func(c *Config) { c.APITLSKeyFile = "config/tls/node.key" }},
		{"api_tls_client_ca_file", func(c *Config) { c.APITLSClientCAFile = "config/tls/ca.crt" }},
	} {
		c := DefaultConfig()
		tc.mutate(&c)
		err := c.Validate()
		var ce *ConfigError
		if !errors.Is(err, ErrInvalidConfig) || !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	// Off loopback: TLS, or plaintext explicitly allowed.
	for _, mutate := range []func(*Config){
		func(c *Config) { c.APIAllowPlaintext = true },
		func(c *Config) { c.APITLSCertFile, c.APITLSKeyFile = "node.crt", "node.key" },
	} {
		c := DefaultConfig()
		c.APIListenAddress = "0.0.0.0:26690"
		mutate(&c)
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
	}
}
