package ledger

import (
	"errors"
	"testing"
)

func TestDecimalParseAndString(t *testing.T) {
	tests := []struct{ in, out string }{
		{"0", "0.0"}, {"-0", "0.0"}, {"10", "10.0"}, {"10.50", "10.5"}, {"-3.25", "-3.25"},
		{"0.0000000001", "0.0000000001"}, {"007.10", "7.1"},
		{"9999999999999999999999999999.9999999999", "9999999999999999999999999999.9999999999"},
	}
	for _, tc := range tests {
		d, err := ParseDecimal(tc.in)
		if err != nil || d.String() != tc.out {
			t.Errorf("%s: got %v %v, want %s", tc.in, d, err, tc.out)
		}
	}
	for _, bad := range []string{"", "-", ".5", "5.", "1e5", "1.00000000001", "+1", "1,5", "0x10", "NaN",
		"99999999999999999999999999999.0"} {
		if _, err := ParseDecimal(bad); !errors.Is(err, ErrDecimal) {
			t.Errorf("%q: want ErrDecimal, got %v", bad, err)
		}
	}
}

func TestDecimalArithmetic(t *testing.T) {
	d := MustParseDecimal
	tests := []struct {
		name string
		got  func() (Decimal, error)
		want string
	}{
		{"add", func() (Decimal, error) { return d("0.1").Add(d("0.2")) }, "0.3"},
		{"sub", func() (Decimal, error) { return d("1").Sub(d("1.0000000001")) }, "-0.0000000001"},
		{"mul", func() (Decimal, error) { return d("1.5").Mul(d("-2")) }, "-3.0"},
		{"mul rounds half even down", func() (Decimal, error) { return d("0.0000000005").Mul(d("0.5")) }, "0.0000000002"},
		{"mul rounds half even up", func() (Decimal, error) { return d("0.0000000015").Mul(d("0.5")) }, "0.0000000008"},
		{"div", func() (Decimal, error) { return d("1").Quo(d("3")) }, "0.3333333333"},
		{"div negative rounds", func() (Decimal, error) { return d("-2").Quo(d("3")) }, "-0.6666666667"},
	}
	for _, tc := range tests {
		got, err := tc.got()
		if err != nil || got.String() != tc.want {
			t.Errorf("%s: got %v %v, want %s", tc.name, got, err, tc.want)
		}
	}
	if _, err := d("1").Quo(d("0")); !errors.Is(err, ErrDecimal) {
		t.Errorf("division by zero: %v", err)
	}
	huge := d("9999999999999999999999999999.0")
	if _, err := huge.Add(huge); !errors.Is(err, ErrDecimal) {
		t.Errorf("overflow: %v", err)
	}
}
