package testnet

import (
	"errors"
	"testing"
)

func TestOptionsValidateNamesField(t *testing.T) {
	for _, tc := range []struct {
		field string
		o     Options
	}{
		{"Validators", Options{}},
		{"SnapshotInterval", Options{Validators: 1, SnapshotInterval: -1}},
		{"SnapshotKeepRecent", Options{Validators: 1, SnapshotKeepRecent: -1}},
		{"Owners", Options{Validators: 1, Owners: -1}},
		{"OwnerThreshold", Options{Validators: 1, Owners: 3, OwnerThreshold: 4}},
	} {
		err := tc.o.Validate()
		var ce *ConfigError
		if !errors.Is(err, ErrInvalidOptions) || !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
	if _, err := New(Options{Dir: t.TempDir()}); !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("New without validators: %v", err)
	}
	if err := (Options{Validators: 1, Owners: 3, OwnerThreshold: 3}).Validate(); err != nil {
		t.Fatal(err)
	}
}
