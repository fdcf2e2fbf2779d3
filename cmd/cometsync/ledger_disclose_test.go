package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --disclose reads what `ledger acs --json` printed, one contract of it, or a list, and
// refuses a contract without its blob.
func TestReadDisclosed(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// "AQID" and "BAU=" are base64 of 01 02 03 and 04 05.
	acs := write("acs.json", `{"offset": 3, "contracts": [{"contractId": "00a", "createdEventBlob": "AQID"}, {"contractId": "00b", "createdEventBlob": "BAU="}]}`)
	one := write("one.json", `{"contractId": "00a", "createdEventBlob": "AQID"}`)
	list := write("list.json", `[{"contractId": "00b", "createdEventBlob": "BAU="}]`)
	ds, err := readDisclosed([]string{acs, one, list})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{{1, 2, 3}, {4, 5}, {1, 2, 3}, {4, 5}}
	if len(ds) != len(want) {
		t.Fatalf("%d disclosed contracts, want %d", len(ds), len(want))
	}
	for i, d := range ds {
		if !bytes.Equal(d.CreatedEventBlob, want[i]) {
			t.Fatalf("contract %d: blob %x, want %x", i, d.CreatedEventBlob, want[i])
		}
	}
	for body, msg := range map[string]string{
		`{"contractId": "00c"}`: "contract 0 (00c) has no createdEventBlob",
		`not json`:              "not ledger acs --json output",
	} {
		if _, err := readDisclosed([]string{write("bad.json", body)}); err == nil || !strings.Contains(err.Error(), msg) {
			t.Fatalf("%s: %v, want %q", body, err, msg)
		}
	}
}
