package cmtbadger

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/internal/badgerx"
	"github.com/cometsync/cometsync/internal/badgerx/damage"
)

// TestOpenRefusesDamagedDatabase deletes the MANIFEST of a closed CometBFT database
// (which badger alone would open as an empty one) and checks that Open refuses it,
// naming the database and what to do.
func TestOpenRefusesDamagedDatabase(t *testing.T) {
	dir := t.TempDir()
	db, err := Open("blockstore", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := db.Set(fmt.Appendf(nil, "H:%d", i), []byte("block")); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := damage.DeleteManifest(filepath.Join(dir, "blockstore")); err != nil {
		t.Fatal(err)
	}
	_, err = Open("blockstore", dir, nil)
	if !errors.Is(err, badgerx.ErrCorrupt) {
		t.Fatalf("open of a damaged database: %v", err)
	}
	for _, want := range []string{"CometBFT database blockstore", "the MANIFEST is missing", "state sync"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not say %q", err, want)
		}
	}
}
