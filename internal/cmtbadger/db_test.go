package cmtbadger

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	dbm "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/cometsync/cometsync/internal/testseed"
)

func openTestDB(t *testing.T) *DB {
	t.Helper()
	d, err := Open("test", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// compare plays script on cometbft-db's memdb and on this package's DB and fails where
// they observe different things.
func compare(t *testing.T, script []string) {
	t.Helper()
	want := (&runner{db: dbm.NewMemDB()}).run(t, script)
	got := (&runner{db: openTestDB(t)}).run(t, script)
	if !slices.Equal(got, want) {
		t.Fatalf("badger:\n  %s\nmemdb:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestMatchesMemDB(t *testing.T) {
	abcd := []string{"set b 2", "set d 4", "set a 1", "set c 3"}
	for _, tc := range []struct {
		name   string
		script []string
	}{
		{"get set delete", []string{
			"get a", "has a", "set a 1", "get a", "has a", "set a 2", "get a",
			"del a", "get a", "has a", "del a", "del nothing", "setsync b 3", "get b", "delsync b", "has b"}},
		{"empty values are kept, nil values refused", []string{
			"set a ''", "get a", "has a", "set b -", "get b", "has b"}},
		{"empty and nil keys are refused", []string{
			"set '' 1", "set - 1", "get ''", "get -", "has ''", "has -", "del ''", "del -",
			"setsync '' 1", "delsync ''"}},
		{"forward ranges", append(abcd,
			"iter - -", "iter b -", "iter - c", "iter b d", "iter b c", "iter bb cc", "iter a a",
			"iter e -", "iter - a", "iter 0 z", "iter c b")},
		{"reverse ranges", append(abcd,
			"riter - -", "riter b -", "riter - c", "riter b d", "riter b c", "riter bb cc", "riter a a",
			"riter e -", "riter - a", "riter 0 z", "riter - dd", "riter c b")},
		{"iterators refuse empty bounds", append(abcd,
			"iter '' -", "iter - ''", "riter '' -", "riter - ''", "iter '' ''")},
		{"iterating an empty database", []string{"iter - -", "riter - -", "iter a b", "riter a b"}},
		{"batch writes in order", append(abcd,
			"batch", "bset e 5", "bdel a", "bset b 22", "bdel b", "bset b 222", "bdel zz", "get e",
			"bwrite", "iter - -")},
		{"batch refuses bad input and use after write", []string{
			"batch", "bset '' 1", "bset a -", "bdel ''", "bset a 1", "bwritesync", "get a",
			"bset b 2", "bdel a", "bwrite", "bclose", "bclose", "get b"}},
		{"closed batch writes nothing", []string{
			"batch", "bset a 1", "bclose", "bwrite", "bset a 1", "get a", "bclose"}},
		{"empty batch", []string{"batch", "bwrite", "bclose", "batch", "bclose"}},
		{"pruning through a batch of iterated keys", []string{
			"fill 500", "prune k100 k400", "iter k098 k102", "riter k398 k402", "prune - -", "iter - -"}},
	} {
		t.Run(tc.name, func(t *testing.T) { compare(t, tc.script) })
	}
}

func randomSeeds(t *testing.T) []uint64 {
	t.Helper()
	return testseed.Seeds(t, 1, 7920, 15839, 23758, 31677)
}

// randomScript draws commands over a small key space so that writes, deletes, batches
// and ranges keep running into each other.
func randomScript(rng *rand.Rand, n int) []string {
	key := func() string {
		if rng.IntN(20) == 0 {
			return []string{"-", "''"}[rng.IntN(2)]
		}
		return string(rune('a'+rng.IntN(6))) + []string{"", "a", "z"}[rng.IntN(3)]
	}
	var s []string
	inBatch := false
	for range n {
		if inBatch {
			cmds := []string{"bset " + key() + " " + key(), "bdel " + key(), "bset " + key() + " ''", "bwrite", "bclose"}
			c := cmds[rng.IntN(len(cmds))]
			inBatch = !strings.HasPrefix(c, "bwrite") && c != "bclose"
			s = append(s, c)
			continue
		}
		cmds := []string{"set " + key() + " " + key(), "del " + key(), "get " + key(), "has " + key(),
			"iter " + key() + " " + key(), "riter " + key() + " " + key(), "batch", "prune " + key() + " " + key()}
		c := cmds[rng.IntN(len(cmds))]
		inBatch = c == "batch"
		s = append(s, c)
	}
	return s
}

// The seeds follow internal/testseed: a failure prints the COMETSYNC_SEED rerun command.
func TestRandomizedAgainstMemDB(t *testing.T) {
	for _, seed := range randomSeeds(t) {
		script := randomScript(rand.New(rand.NewPCG(seed, 0)), 400)
		want := (&runner{db: dbm.NewMemDB()}).run(t, script)
		got := (&runner{db: openTestDB(t)}).run(t, script)
		if i := diffAt(got, want); i >= 0 {
			t.Fatalf("seed %d step %d: badger %q, memdb %q (rerun with %s)", seed, i, got[i], want[i], testseed.Rerun(t, seed))
		}
	}
}

func diffAt(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

func TestIteratorPanicsWhenInvalidAndReportsDomain(t *testing.T) {
	d := openTestDB(t)
	it, err := d.Iterator([]byte("a"), []byte("b"))
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if s, e := it.Domain(); string(s) != "a" || string(e) != "b" {
		t.Fatalf("Domain() = %q, %q", s, e)
	}
	for name, f := range map[string]func(){"Next": it.Next, "Key": func() { it.Key() }, "Value": func() { it.Value() }} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s on an invalid iterator did not panic", name)
				}
			}()
			f()
		}()
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestIteratorReadsASnapshot: writes after an iterator is created are not seen by it.
func TestIteratorReadsASnapshot(t *testing.T) {
	d := openTestDB(t)
	r := &runner{db: d}
	r.run(t, []string{"set a 1", "set c 3"})
	it, err := d.Iterator(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	r.run(t, []string{"set b 2", "del c"})
	var keys []string
	for ; it.Valid(); it.Next() {
		keys = append(keys, string(it.Key()))
	}
	if !slices.Equal(keys, []string{"a", "c"}) {
		t.Fatalf("keys %v, want [a c]", keys)
	}
}

// TestBatchLargerThanATransaction: a batch over badger's transaction limit is still
// written in full.
func TestBatchLargerThanATransaction(t *testing.T) {
	d := openTestDB(t)
	b := d.NewBatch()
	defer b.Close()
	val := make([]byte, 64<<10)
	const n = 400 // 25 MiB, beyond what one transaction over a 64 MiB memtable holds
	for i := range n {
		if err := b.Set(fmt.Appendf(nil, "k%04d", i), val); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.WriteSync(); err != nil {
		t.Fatal(err)
	}
	it, err := d.Iterator(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	count := 0
	for ; it.Valid(); it.Next() {
		count++
	}
	if count != n {
		t.Fatalf("%d keys after the batch, want %d", count, n)
	}
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	d, err := Open("blockstore", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetSync([]byte("h"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "blockstore", "MANIFEST")); err != nil {
		t.Fatalf("database not at <dir>/<name> as cometbft-db puts it: %v", err)
	}
	if d, err = Open("blockstore", dir, nil); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if v, err := d.Get([]byte("h")); err != nil || string(v) != "1" {
		t.Fatalf("Get after reopen = %q, %v", v, err)
	}
	if s := d.Stats(); s["database.type"] != Backend {
		t.Fatalf("Stats() = %v", s)
	}
}

func TestProviderOpensBadgerAndDefersOtherBackends(t *testing.T) {
	cfg := cmtcfg.TestConfig()
	cfg.SetRoot(t.TempDir())
	for _, tc := range []struct {
		backend string
		want    string
	}{
		{Backend, "*cmtbadger.DB"},
		{"memdb", "*db.MemDB"},
		{"nosuchdb", "error"},
	} {
		cfg.DBBackend = tc.backend
		db, err := Provider(nil)(&cmtcfg.DBContext{ID: "state", Config: cfg})
		got := "error"
		if err == nil {
			got = fmt.Sprintf("%T", db)
			db.Close()
		}
		if got != tc.want {
			t.Errorf("db_backend %q: %s (%v), want %s", tc.backend, got, err, tc.want)
		}
	}
}
