package txfile_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cometsync/cometsync/topology"
	"github.com/cometsync/cometsync/topology/txfile"
)

var sentinels = []error{
	topology.ErrMalformed, topology.ErrInvalidMapping, topology.ErrInvalidSignature, txfile.ErrUnsupportedFormat,
}

// fuzzSeeds are files for FuzzDecode: well-formed ones of each kind and near misses.
func fuzzSeeds(t testing.TB) map[string][]byte {
	enc := func(stxs ...*topology.SignedTransaction) []byte {
		b, err := txfile.Encode(stxs, nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return map[string][]byte{
		"json-two":      enc(root(t, "owner"), ptp(t, 2, "owner", "p1")),
		"json-unsigned": enc(ptp(t, 1)),
		"json-empty":    enc(),
		"raw-signed":    root(t, "owner").Marshal(),
		"raw-unsigned":  ptp(t, 1).Marshal(),
		"other-format":  []byte(`{"format": "x", "version": 1, "transactions": []}`),
		"bad-base64":    []byte(`{"format": "cometsync.topology.transactions", "version": 1, "transactions": [{"signed": "@@"}]}`),
		"null":          []byte(`{"format": "cometsync.topology.transactions", "version": 1, "transactions": [null]}`),
		"junk":          []byte("\x0a\x05hello\x12\x00"),
		"brace":         []byte(" {"),
	}
}

// FuzzDecode: Decode never panics, fails only with the documented sentinels, and what
// it accepts encodes to a file that decodes to the same transactions.
func FuzzDecode(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		stxs, err := txfile.Decode(data)
		if err != nil {
			for _, s := range sentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("untyped error: %v", err)
		}
		b, err := txfile.Encode(stxs, nil)
		if err != nil {
			t.Fatal(err)
		}
		again, err := txfile.Decode(b)
		if err != nil || !same(again, stxs) {
			t.Fatalf("re-decoding the encoded file: %v", err)
		}
		for i := range stxs {
			if !bytes.Equal(again[i].Tx.Hash(), stxs[i].Tx.Hash()) || again[i].Proposal != stxs[i].Proposal {
				t.Fatalf("transaction %d changed in the round trip", i)
			}
		}
	})
}

func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("COMETSYNC_WRITE_CORPUS") == "" {
		t.Skip("set COMETSYNC_WRITE_CORPUS=1 to rewrite testdata/fuzz")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range fuzzSeeds(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
