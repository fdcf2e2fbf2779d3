package tomlconf

import (
	"errors"
	"testing"
	"time"

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
		{"prune_interval", pruneErr("720h", "0s")},
		{"prune_retention", pruneErr("a month", "")},
		{"prune_retention", pruneErr("-1h", "1h")},
	} {
		var fe *FieldError
		if !errors.As(tc.err, &fe) || fe.Field != tc.field || fe.Reason == "" {
			t.Errorf("%s: got %v", tc.field, tc.err)
		}
	}
	if r, i, err := PruneSchedule("", ""); r != 0 || i != DefaultPruneInterval || err != nil {
		t.Fatalf("empty schedule: %v %v %v, want off with the default interval", r, i, err)
	}
	if r, i, err := PruneSchedule("720h", "10m"); r != 720*time.Hour || i != 10*time.Minute || err != nil {
		t.Fatalf("720h every 10m: %v %v %v", r, i, err)
	}
	if err := CheckOptionalAddress("metrics_address", ""); err != nil {
		t.Fatalf("empty address: %v", err)
	}
}

func pruneErr(retention, interval string) error {
	_, _, err := PruneSchedule(retention, interval)
	return err
}
