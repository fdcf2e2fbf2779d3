package ledger

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

var writeCorpus = flag.Bool("ledger.write-corpus", false, "rewrite the seed corpora under testdata/fuzz")

// packageSeeds are valid and almost-valid package files.
func packageSeeds(t testing.TB) [][]byte {
	return [][]byte{
		mustRead(t, "../examples/iou.yaml"), mustRead(t, "../examples/dvp.yaml"), mustRead(t, "testdata/box.yaml"),
		[]byte(minimalYAML),
		[]byte(`{"package": "tiny", "version": "1.0", "templates": {"T": {"fields": {"p": "party"}, "signatories": "[p]"}}}`),
		[]byte("package: a\nversion: 1\ntemplates: {T: {fields: {x: &a int}, signatories: *a}}\n"),
	}
}

func FuzzParsePackage(f *testing.F) {
	for _, s := range packageSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		pkg, err := ValidatePackage(src)
		if err != nil {
			return
		}
		again, err := ParsePackage(src)
		if err != nil || again.ID != pkg.ID || pkg.ID != pkg.ComputeID() {
			t.Fatalf("parsing is not deterministic: %v", err)
		}
	})
}

// commandSeeds are JSON commands against the box package and the fixture's contracts.
func commandSeeds(f *boxFixture) [][]byte {
	ex := func(choice, args string) []byte {
		return []byte(`{"actAs": ["Alice::1220cc", "Bob::1220dd"], "exercise": {"template": "box:Box", "contractId": "` +
			string(f.box) + `", "choice": "` + choice + `", "arguments": {` + args + `}}}`)
	}
	return [][]byte{
		[]byte(`{"actAs": ["Alice::1220cc"], "create": {"template": "box:Box", "arguments": {"owner": "Alice::1220cc", "watchers": ["Bob::1220dd"], "n": 3, "note": "hi", "when": "2026-03-01T12:00:00.000001Z"}}}`),
		[]byte(`{"actAs": ["Alice::1220cc"], "create": {"template": "box:Other", "arguments": {"owner": "Alice::1220cc"}}}`),
		ex("Bump", ""), ex("Peek", `"actor": "Bob::1220dd", "other": "`+string(f.bobs)+`"`),
		ex("Check", `"ok": false`), ex("Div", `"d": "0"`), ex("Expensive", `"xs": [1, 2, 3]`), ex("Shared", ""),
	}
}

func FuzzDecodeCommand(f *testing.F) {
	fx := newBoxFixture(f)
	for _, s := range commandSeeds(fx) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cmd, err := DecodeCommand(fx.pkgs, data)
		if err != nil {
			return
		}
		enc, err := EncodeCommand(fx.pkgs, cmd)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		again, err := DecodeCommand(fx.pkgs, enc)
		if err != nil {
			t.Fatalf("re-decode %s: %v", enc, err)
		}
		if enc2, _ := EncodeCommand(fx.pkgs, again); !bytes.Equal(enc, enc2) {
			t.Fatalf("JSON round trip differs:\n%s\n%s", enc, enc2)
		}
		tx, err := Interpret(fx.pkgs, cmd, fx.acs, testTime, seedOf(1))
		if err == nil {
			checkRoundTrip(t, tx)
		}
	})
}

// transactionSeeds are encodings of real transactions.
func transactionSeeds(t testing.TB) [][]byte {
	_, tx, _ := settledDvp(t)
	_, _, cid := iouSetup(t)
	return [][]byte{EncodeTransaction(tx), EncodeNode(tx.Roots[0].Children[2]), EncodeTransaction(&Transaction{}),
		EncodeContract(&Contract{ID: cid, Template: TemplateID{"p", "T"}})}
}

func FuzzDecodeTransaction(f *testing.F) {
	fx, _, inputs := settledDvp(f)
	for _, s := range transactionSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if n, err := DecodeNode(data); err == nil {
			if !bytes.Equal(EncodeNode(n), data) {
				t.Fatal("node decoding is not canonical")
			}
			_, _ = Reinterpret(fx.l.pkgs, n, NewPartySet(alice, bob), inputs, testTime)
		}
		if c, err := DecodeContract(data); err == nil && !bytes.Equal(EncodeContract(c), data) {
			t.Fatal("contract decoding is not canonical")
		}
		got, err := DecodeTransaction(data)
		if err != nil {
			return
		}
		if !bytes.Equal(EncodeTransaction(got), data) {
			t.Fatal("transaction decoding is not canonical")
		}
		_ = got.Effects()
	})
}

// TestWriteCorpus rewrites the checked-in seed corpora when run with -ledger.write-corpus.
func TestWriteCorpus(t *testing.T) {
	if !*writeCorpus {
		t.Skip("run with -ledger.write-corpus to rewrite testdata/fuzz")
	}
	corpora := map[string][][]byte{
		"FuzzParsePackage":           packageSeeds(t),
		"FuzzDecodeCommand":          commandSeeds(newBoxFixture(t)),
		"FuzzDecodeTransaction":      transactionSeeds(t),
		"FuzzDecodeCreatedEventBlob": blobSeeds(t),
	}
	for name, seeds := range corpora {
		dir := filepath.Join("testdata", "fuzz", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range seeds {
			body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(s)) + ")\n"
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
