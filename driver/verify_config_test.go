package driver_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cometbft/cometbft/crypto/ed25519"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
)

func TestVerifyConfigValidate(t *testing.T) {
	key, err := crypto.GenerateSigningKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	pk := ed25519.GenPrivKey().PubKey()
	genesis := func() *cmttypes.GenesisDoc {
		return &cmttypes.GenesisDoc{ChainID: "c", Validators: []cmttypes.GenesisValidator{{PubKey: pk, Power: 10}}}
	}
	hash := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name, field string
		mutate      func(*driver.VerifyConfig)
	}{
		{"off needs nothing", "", func(v *driver.VerifyConfig) { v.Enabled = false; v.TrustPeriod = 0 }},
		{"genesis", "", func(v *driver.VerifyConfig) { v.Genesis = genesis() }},
		{"trusted header", "", func(v *driver.VerifyConfig) { v.TrustHeight, v.TrustHash = 5, hash }},
		{"no trust root", "trust_height", func(v *driver.VerifyConfig) {}},
		{"hash without height", "trust_height", func(v *driver.VerifyConfig) { v.TrustHash = hash; v.Genesis = genesis() }},
		{"short hash", "trust_hash", func(v *driver.VerifyConfig) { v.TrustHeight, v.TrustHash = 5, "abcd" }},
		{"not hex", "trust_hash", func(v *driver.VerifyConfig) { v.TrustHeight, v.TrustHash = 5, strings.Repeat("zz", 32) }},
		{"negative height", "trust_height", func(v *driver.VerifyConfig) { v.TrustHeight = -1 }},
		{"no trust period", "trust_period", func(v *driver.VerifyConfig) { v.Genesis = genesis(); v.TrustPeriod = 0 }},
		{"no head interval", "verify_head_interval", func(v *driver.VerifyConfig) { v.Genesis = genesis(); v.HeadInterval = 0 }},
		{"no omission wait", "verify_omission_wait", func(v *driver.VerifyConfig) { v.Genesis = genesis(); v.OmissionWait = 0 }},
		{"negative give up", "verify_give_up_after", func(v *driver.VerifyConfig) { v.Genesis = genesis(); v.GiveUpAfter = -1 }},
		{"genesis without validators", "genesis", func(v *driver.VerifyConfig) { v.Genesis = genesis(); v.Genesis.Validators = nil }},
		{"chain id not the genesis'", "chain_id", func(v *driver.VerifyConfig) { v.Genesis = genesis(); v.ChainID = "other" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := driver.DefaultConfig()
			cfg.Endpoints, cfg.Member, cfg.SigningKey = []string{"127.0.0.1:1"}, "PAR::p::"+key.Fingerprint().String(), key
			cfg.Verify.Enabled = true
			tc.mutate(&cfg.Verify)
			err := cfg.Validate()
			var ce *driver.ConfigError
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("want valid, got %v", err)
			case tc.field != "" && (!errors.As(err, &ce) || ce.Field != tc.field || !errors.Is(err, driver.ErrInvalidConfig)):
				t.Fatalf("want a ConfigError for %s, got %v", tc.field, err)
			}
		})
	}
}
