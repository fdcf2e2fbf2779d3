package testnet

import (
	"bytes"
	"strings"
	"testing"
)

// TestDemo runs `cometsync demo` in-process and checks its verdicts.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := RunDemo(t.Context(), &out); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{
		"ok  alice received exactly the 5 messages addressed to it",
		"ok  bob received exactly the 6 messages addressed to it",
		"ok  carol received exactly the 6 messages addressed to it",
		"ok  alice and bob saw their 3 common messages in the same order",
		"ok  bob and carol saw their 4 common messages in the same order",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "carol to bob only") && strings.Contains(sectionOf(s, "alice's stream"), "carol to bob only") {
		t.Errorf("alice saw a message addressed to bob only:\n%s", s)
	}
}

// sectionOf returns the lines of out from the heading to the next blank line.
func sectionOf(out, heading string) string {
	i := strings.Index(out, heading)
	if i < 0 {
		return ""
	}
	rest := out[i:]
	if j := strings.Index(rest, "\n\n"); j >= 0 {
		return rest[:j]
	}
	return rest
}
