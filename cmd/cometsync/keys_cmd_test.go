package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/crypto"
)

func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(t.Context())
	t.Logf("$ cometsync %s\n%s", strings.Join(args, " "), out.String())
	return out.String(), err
}

// TestKeysGenerateRefusesOverwrite: keys generate does not replace an existing key file
// (the error names the file and --force, and the file is untouched); with --force it
// writes a new key.
func TestKeysGenerateRefusesOverwrite(t *testing.T) {
	out := filepath.Join(t.TempDir(), "p1.key")
	if _, err := runCmd(t, "keys", "generate", "--name", "p1", "--out", out); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(out)
	_, err := runCmd(t, "keys", "generate", "--name", "p1", "--out", out)
	if err == nil || !strings.Contains(err.Error(), out) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("generate over an existing file: %v", err)
	}
	if again, _ := os.ReadFile(out); !bytes.Equal(again, first) {
		t.Fatal("the refused generate changed the key file")
	}
	if _, err := runCmd(t, "keys", "generate", "--name", "p1", "--out", out, "--force"); err != nil {
		t.Fatalf("generate --force: %v", err)
	}
	kf, _, err := crypto.ReadKeyFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(out); bytes.Equal(again, first) || !strings.HasPrefix(kf.Member, "PAR::p1::") {
		t.Fatalf("generate --force did not write a new key (member %s)", kf.Member)
	}
}
