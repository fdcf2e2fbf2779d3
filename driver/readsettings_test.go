package driver_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/driver"
)

func TestReadSettings(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name, field string
		mutate      func(*driver.ReadSettings)
	}{
		{"default: trust on first use", "", func(*driver.ReadSettings) {}},
		{"trusted header", "", func(r *driver.ReadSettings) { r.TrustHeight, r.TrustHash = 9, hash }},
		{"agreement without verification", "", func(r *driver.ReadSettings) { r.VerifyReads, r.SubscribeAgreed = false, 2 }},
		{"agreement with verification", "subscribe_agreed", func(r *driver.ReadSettings) { r.SubscribeAgreed = 2 }},
		{"negative agreement", "subscribe_agreed", func(r *driver.ReadSettings) { r.VerifyReads, r.SubscribeAgreed = false, -1 }},
		{"bad hash", "trust_hash", func(r *driver.ReadSettings) { r.TrustHeight, r.TrustHash = 9, "x" }},
		{"no trust period", "trust_period", func(r *driver.ReadSettings) { r.TrustPeriod = 0 }},
		{"no light store", "light_store", func(r *driver.ReadSettings) { r.LightStore = "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := driver.DefaultReadSettings()
			tc.mutate(&r)
			err := r.Validate()
			var ce *driver.ConfigError
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("want valid, got %v", err)
			case tc.field != "" && (!errors.As(err, &ce) || ce.Field != tc.field):
				t.Fatalf("want a ConfigError for %s, got %v", tc.field, err)
			}
		})
	}
	r := driver.DefaultReadSettings()
	if !r.VerifyReads || !strings.Contains(r.TOML(), "verify_reads = true") {
		t.Fatalf("reads are not verified by default: %+v", r)
	}
	r.GenesisFile = "missing.json"
	cfg := driver.DefaultConfig()
	var ce *driver.ConfigError
	if err := r.Apply(t.TempDir(), &cfg); !errors.As(err, &ce) || ce.Field != "genesis_file" {
		t.Fatalf("a missing genesis file: %v", err)
	}
	r.GenesisFile = ""
	if err := r.Apply(t.TempDir(), &cfg); err != nil || !cfg.Verify.Enabled || !cfg.Verify.TrustOnFirstUse {
		t.Fatalf("without a root: %v, %+v", err, cfg.Verify)
	}
}
