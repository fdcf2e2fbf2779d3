package participant_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/participant"
)

// TestConfigValidateNamesTheField: Start refuses a bad Config before connecting, with a
// ConfigError naming the field.
func TestConfigValidateNamesTheField(t *testing.T) {
	sig, _ := crypto.GenerateSigningKey(nil)
	enc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	_, pkgs := iouPackage(t)
	good := func() participant.Config {
		d := driver.DefaultConfig()
		d.Endpoints, d.Member, d.SigningKey = []string{"127.0.0.1:1"}, "PAR::p::"+string(sig.Public().Fingerprint()), sig
		return participant.Config{Driver: d, EncryptionKey: enc, Packages: pkgs}
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("a good config: %v", err)
	}
	for field, mutate := range map[string]func(*participant.Config){
		"Driver":              func(c *participant.Config) { c.Driver.Endpoints = nil },
		"EncryptionKey":       func(c *participant.Config) { c.EncryptionKey = crypto.EncryptionPrivateKey{} },
		"Packages":            func(c *participant.Config) { c.Packages = nil },
		"DeduplicationPeriod": func(c *participant.Config) { c.DeduplicationPeriod = -1 },
	} {
		c := good()
		mutate(&c)
		_, err := participant.Start(context.Background(), c)
		var ce *participant.ConfigError
		if !errors.As(err, &ce) || ce.Field != field || !errors.Is(err, participant.ErrInvalidConfig) {
			t.Errorf("bad %s: got %v", field, err)
		}
	}
}
