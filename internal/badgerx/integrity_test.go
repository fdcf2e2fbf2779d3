package badgerx_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/cometsync/cometsync/internal/badgerx"
	"github.com/cometsync/cometsync/internal/badgerx/damage"
	"github.com/cometsync/cometsync/internal/testseed"
)

const keys = 20000

// fill creates a database in dir whose data lies in table files (Close flushes the
// memtable): keys random 100-byte values.
func fill(t *testing.T, dir string, rng *rand.Rand) map[string][]byte {
	t.Helper()
	db, err := badgerx.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	wb := db.NewWriteBatch()
	for i := range keys {
		v := make([]byte, 100)
		for j := range v {
			v[j] = byte(rng.Uint32())
		}
		k := fmt.Sprintf("key-%06d", i)
		want[k] = v
		if err := wb.Set([]byte(k), v); err != nil {
			t.Fatal(err)
		}
	}
	if err := wb.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if ts, err := damage.Tables(dir); err != nil || len(ts) == 0 {
		t.Fatalf("no table files after close (%v)", err)
	}
	return want
}

func readAll(t *testing.T, db *badger.DB) map[string][]byte {
	t.Helper()
	got := map[string][]byte{}
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			got[string(it.Item().KeyCopy(nil))] = v
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestOpenRefusesDamage damages a closed database each way the issue lists and checks
// that Open refuses it with ErrCorrupt naming the directory and the damage (never a
// panic, never a database opened with data missing), and that Wipe still removes it.
func TestOpenRefusesDamage(t *testing.T) {
	cases := []struct {
		name   string
		damage func(dir string, rng *rand.Rand) error
		reason string
	}{
		{"garbage in a table", func(dir string, rng *rand.Rand) error { _, err := damage.GarbleTable(dir, rng, 4096); return err }, ".sst"},
		{"truncated table", func(dir string, rng *rand.Rand) error { _, err := damage.TruncateTable(dir, rng); return err }, ".sst"},
		{"deleted MANIFEST", func(dir string, _ *rand.Rand) error { return damage.DeleteManifest(dir) }, "the MANIFEST is missing"},
		{"truncated MANIFEST", damage.TruncateManifest, "the MANIFEST does not list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			seed := testseed.Seed(t)
			rng := rand.New(rand.NewPCG(seed, seed))
			home := t.TempDir()
			dir := filepath.Join(home, "db")
			fill(t, dir, rng)
			if err := c.damage(dir, rng); err != nil {
				t.Fatal(err)
			}
			db, err := badgerx.Open(dir, nil)
			if err == nil {
				db.Close()
				t.Fatalf("a database with %s opened", c.name)
			}
			t.Logf("refused: %v", err)
			if !errors.Is(err, badgerx.ErrCorrupt) || !badgerx.IsCorrupt(err) {
				t.Fatalf("error %v does not match ErrCorrupt", err)
			}
			if msg := err.Error(); !strings.Contains(msg, dir) || !strings.Contains(msg, c.reason) {
				t.Fatalf("error %q does not name %s and %q", msg, dir, c.reason)
			}
			if err := badgerx.Wipe(dir, home, "member", "cometsync member start"); err != nil {
				t.Fatalf("wipe of the damaged database: %v", err)
			}
			if empty, err := badgerx.Empty(dir); err != nil || !empty {
				t.Fatalf("after wipe: empty %v, %v", empty, err)
			}
		})
	}
}

// TestOpenKeepsHealthyData reopens an undamaged database: Check passes and every value
// reads back.
func TestOpenKeepsHealthyData(t *testing.T) {
	seed := testseed.Seed(t)
	dir := t.TempDir()
	want := fill(t, dir, rand.New(rand.NewPCG(seed, seed)))
	if err := badgerx.Check(dir); err != nil {
		t.Fatal(err)
	}
	db, err := badgerx.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got := readAll(t, db)
	if len(got) != len(want) {
		t.Fatalf("read %d keys, wrote %d", len(got), len(want))
	}
	for k, v := range want {
		if string(got[k]) != string(v) {
			t.Fatalf("key %s reads back different", k)
		}
	}
}

// TestVerifyFindsDamageWhileOpen damages a table of an open database under it (badger
// maps its tables, so the change shows) and checks that Verify reports it.
func TestVerifyFindsDamageWhileOpen(t *testing.T) {
	seed := testseed.Seed(t)
	rng := rand.New(rand.NewPCG(seed, seed))
	dir := t.TempDir()
	fill(t, dir, rng)
	db, err := badgerx.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := badgerx.Verify(db); err != nil {
		t.Fatalf("healthy database: %v", err)
	}
	if _, err := damage.GarbleTable(dir, rng, 4096); err != nil {
		t.Fatal(err)
	}
	err = badgerx.Verify(db)
	if !errors.Is(err, badgerx.ErrCorrupt) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("verify after damage: %v", err)
	}
}

// TestWipeRefusesHeldDatabase checks that Wipe still refuses a database a process holds.
func TestWipeRefusesHeldDatabase(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, "db")
	db, err := badgerx.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := badgerx.Wipe(dir, home, "member", "cometsync member start"); !errors.Is(err, badgerx.ErrInUse) {
		t.Fatalf("wipe of a held database: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST")); err != nil {
		t.Fatal(err)
	}
}
