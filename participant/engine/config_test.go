package engine_test

import (
	"errors"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant/engine"
)

func TestConfigValidateNamesField(t *testing.T) {
	sig, _ := crypto.GenerateSigningKey(nil)
	for _, tc := range []struct {
		field string
		c     engine.Config
	}{
		{"Participant", engine.Config{}},
		{"Packages", engine.Config{Participant: "PAR::p::1220"}},
		{"SigningKey", engine.Config{Participant: "PAR::p::1220", Packages: &ledger.PackageSet{}}},
		{"Decryption", engine.Config{Participant: "PAR::p::1220", Packages: &ledger.PackageSet{}, SigningKey: sig}},
	} {
		err := tc.c.Validate()
		var ce *engine.ConfigError
		if !errors.Is(err, engine.ErrInvalidConfig) || !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
}
