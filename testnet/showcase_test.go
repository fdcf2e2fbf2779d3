package testnet

import (
	"bytes"
	"strings"
	"testing"
)

// TestShowcase runs `cometsync demo` in-process and checks its verdicts: the DvP settles,
// each issuer's participant holds only its leg, and the replayed participant has the same
// ACS hash.
func TestShowcase(t *testing.T) {
	var out bytes.Buffer
	if err := RunShowcase(t.Context(), &out); err != nil {
		t.Fatalf("showcase failed: %v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{
		"ok  Seller settles: cash and shares swap atomically",
		"ok  the bank's participant saw only the cash leg, the registry's only the asset leg",
		"ok  identical",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("showcase output lacks %q:\n%s", want, s)
		}
	}
}
