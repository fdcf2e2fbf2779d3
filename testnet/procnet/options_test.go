package procnet

import (
	"errors"
	"testing"
	"time"
)

func TestOptionsValidateNamesField(t *testing.T) {
	for _, tc := range []struct {
		field string
		o     Options
	}{
		{"Validators", Options{}},
		{"Participants", Options{Validators: 1, Participants: -1}},
		{"Mediators", Options{Validators: 1, Mediators: -1}},
		{"Owners", Options{Validators: 1, Owners: -1}},
		{"PruningInterval", Options{Validators: 1, PruningInterval: -time.Second}},
		{"PruningRetention", Options{Validators: 1, PruningInterval: time.Hour}},
		{"PruningRetention", Options{Validators: 1, PruningRetention: -time.Hour}},
	} {
		err := tc.o.Validate()
		var ce *ConfigError
		if !errors.Is(err, ErrInvalidOptions) || !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
	if err := (Options{Validators: 1, PruningInterval: time.Hour, PruningRetention: 24 * time.Hour}).Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Options{Validators: 1}).Validate(); err != nil {
		t.Fatal(err)
	}
}
