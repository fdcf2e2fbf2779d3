package participant_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/snapshot"
)

func testSnapshot(t testing.TB, parties ...string) *snapshot.Snapshot {
	k, err := crypto.SigningKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot.New("sync::1220aa", "PAR::p1::1220aa", 5_000_000, 3, 5_000_100, 2, ledger.ContractMap{}, parties)
	s.Sign(k)
	return s
}

// TestImportsDirectory: a home's imports/ holds the party imports parties replicate
// wrote, read back in order; no directory is no import; a snapshot not filtered to
// exactly one party, or a file that is no snapshot, is refused naming the file.
func TestImportsDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), participant.ImportsDir)
	if ims, err := participant.LoadImports(dir); err != nil || ims != nil {
		t.Fatalf("no directory: %v, %v", ims, err)
	}
	im, err := participant.DecodeImport(testSnapshot(t, "Alice::1220bb").Encode())
	if err != nil || im.Party != "Alice::1220bb" {
		t.Fatalf("decode: %+v, %v", im, err)
	}
	file, err := participant.WriteImport(dir, im)
	if err != nil {
		t.Fatal(err)
	}
	ims, err := participant.LoadImports(dir)
	if err != nil || len(ims) != 1 || ims[0].Party != im.Party || !bytes.Equal(ims[0].Snapshot.Encode(), im.Snapshot.Encode()) {
		t.Fatalf("read back: %+v, %v", ims, err)
	}
	for _, parties := range [][]string{nil, {"Alice::1220bb", "Bob::1220cc"}} {
		if _, err := participant.DecodeImport(testSnapshot(t, parties...).Encode()); !errors.Is(err, participant.ErrNotForParty) {
			t.Fatalf("a snapshot filtered to %v: %v, want %v", parties, err, participant.ErrNotForParty)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "zz.acs"), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := participant.LoadImports(dir); !errors.Is(err, snapshot.ErrMalformed) || !bytes.Contains([]byte(err.Error()), []byte("zz.acs")) {
		t.Fatalf("a junk file among the imports: %v", err)
	}
	_ = file
}

// FuzzDecodeImport: any bytes decode to a party import of exactly one party, or fail
// with ErrMalformed or ErrNotForParty; never a panic.
func FuzzDecodeImport(f *testing.F) {
	f.Add(testSnapshot(f, "Alice::1220bb").Encode())
	f.Add(testSnapshot(f).Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		im, err := participant.DecodeImport(b)
		switch {
		case err == nil && (im.Snapshot == nil || len(im.Snapshot.Parties) != 1 || string(im.Party) != im.Snapshot.Parties[0]):
			t.Fatalf("decoded %+v", im)
		case err != nil && !errors.Is(err, snapshot.ErrMalformed) && !errors.Is(err, participant.ErrNotForParty):
			t.Fatalf("error %v", err)
		}
	})
}
