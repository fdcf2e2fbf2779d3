package procnet

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
		{"Participants", Options{Validators: 1, Participants: -1}},
		{"Mediators", Options{Validators: 1, Mediators: -1}},
		{"Owners", Options{Validators: 1, Owners: -1}},
	} {
		err := tc.o.Validate()
		var ce *ConfigError
		if !errors.Is(err, ErrInvalidOptions) || !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
	if err := (Options{Validators: 1}).Validate(); err != nil {
		t.Fatal(err)
	}
}
