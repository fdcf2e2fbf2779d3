package tomlconf

import (
	"errors"
	"testing"

	"github.com/cometsync/cometsync/crypto"
)

func TestChecksNameTheField(t *testing.T) {
	for _, tc := range []struct {
		field string
		err   error
	}{
		{"member", CheckMember("member", "alice", crypto.KindParticipant)},
		{"sequencers", CheckEndpoints("sequencers", nil)},
		{"sequencers", CheckEndpoints("sequencers", []string{"nowhere"})},
		{"metrics_address", CheckOptionalAddress("metrics_address", "5012")},
	} {
		var fe *FieldError
		if !errors.As(tc.err, &fe) || fe.Field != tc.field || fe.Reason == "" {
			t.Errorf("%s: got %v", tc.field, tc.err)
		}
	}
	if err := CheckOptionalAddress("metrics_address", ""); err != nil {
		t.Fatalf("empty address: %v", err)
	}
}
