package protocol

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// corpusEnv, when set, makes TestWriteFuzzCorpus regenerate testdata/fuzz.
const corpusEnv = "COMETSYNC_WRITE_FUZZ_CORPUS"

// fuzzInputs returns real encodings: every view tree and the informee tree of an IOU
// transfer and a DvP settlement, and their root hash messages.
func fuzzInputs(t testing.TB) (trees, rootHashMessages [][]byte) {
	w := newWorld(t)
	for i, s := range []*submission{w.iouTransfer(), w.dvpSettle(alice, bob)} {
		pl := plan(t, prepare(t, s, seedOf(byte(i))), hosting)
		trees = append(trees, pl.InformeeTree)
		for _, env := range pl.Views {
			trees = append(trees, env.Plaintext)
		}
		rootHashMessages = append(rootHashMessages, pl.RootHashMessages[0].Payload)
	}
	return trees, rootHashMessages
}

func FuzzDecodeTree(f *testing.F) {
	trees, _ := fuzzInputs(f)
	for _, b := range trees {
		f.Add(b)
	}
	w := newWorld(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		tree, err := DecodeTree(b)
		if err != nil {
			return
		}
		if again := EncodeTree(tree); !bytes.Equal(again, b) {
			t.Fatalf("decode then encode changed the bytes")
		}
		rv, err := CheckViewAgainstRoot(b, tree.RootHash())
		if err != nil {
			return
		}
		// The checks must not panic on whatever a decoded view holds.
		_ = CheckMetadata(rv)
		_ = CheckSubViews(rv.View)
		_ = CheckInformees(rv.View)
		_ = CheckRecipients(rv.View, []string{pTrader}, hosting)
		_ = CheckConformance(w.pkgs, rv.View, w.acs)
	})
}

func FuzzDecodeInformeeTree(f *testing.F) {
	trees, _ := fuzzInputs(f)
	for _, b := range trees {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		it, err := DecodeInformeeTree(b)
		if err != nil {
			return
		}
		if it.RootHash != it.Tree.RootHash() || !bytes.Equal(EncodeTree(it.Tree), b) {
			t.Fatal("informee tree does not round-trip")
		}
	})
}

func FuzzDecodeRootHashMessage(f *testing.F) {
	_, msgs := fuzzInputs(f)
	for _, b := range msgs {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeRootHashMessage(b)
		if err != nil {
			return
		}
		if !bytes.Equal(EncodeRootHashMessage(m), b) {
			t.Fatal("root hash message does not round-trip")
		}
	})
}

// TestWriteFuzzCorpus regenerates the checked-in seed corpora from the current encodings
// when COMETSYNC_WRITE_FUZZ_CORPUS is set.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv(corpusEnv) == "" {
		t.Skip("set " + corpusEnv + "=1 to regenerate testdata/fuzz")
	}
	trees, msgs := fuzzInputs(t)
	writeCorpus(t, "FuzzDecodeTree", trees)
	writeCorpus(t, "FuzzDecodeInformeeTree", [][]byte{trees[0], trees[4]})
	writeCorpus(t, "FuzzDecodeRootHashMessage", msgs)
}

func writeCorpus(t *testing.T, target string, inputs [][]byte) {
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, b := range inputs {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
