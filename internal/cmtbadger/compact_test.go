//go:build unix

package cmtbadger

import (
	"crypto/rand"
	"encoding/binary"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/cometsync/cometsync/internal/badgerx"
)

// allocated is the disk space the files under dir take (allocated blocks, as du counts:
// badger's memtable and value-log files are sparse).
func allocated(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n += info.Sys().(*syscall.Stat_t).Blocks * 512
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPrunedDiskBounded: a database under a steady load of writes and deletions of the
// oldest keys (a pruned block store) keeps its disk use near its live data once
// compacted, instead of keeping everything ever written (badger's default sizes never
// compact a database this small, and Compact used to do nothing).
func TestPrunedDiskBounded(t *testing.T) {
	dir := t.TempDir()
	d, err := Open("blockstore", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { d.Close() }()
	const (
		rounds   = 16
		perRound = 1000
		valSize  = 4 << 10 // 4 MiB a round, 64 MiB written in all
		keep     = 2       // rounds kept: 8 MiB live
	)
	key := func(round, i int) []byte {
		return binary.BigEndian.AppendUint32([]byte("block:"), uint32(round*perRound+i))
	}
	val := make([]byte, valSize)
	for r := range rounds {
		b := d.NewBatch()
		for i := range perRound {
			rand.Read(val)
			if err := b.Set(key(r, i), val); err != nil {
				t.Fatal(err)
			}
			if r >= keep {
				if err := b.Delete(key(r-keep, i)); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := b.Write(); err != nil {
			t.Fatal(err)
		}
	}
	// Closed and opened again, so that the memtables are flushed (a running node's
	// are flushed as writes go on; in a test, when is up to badger's goroutines).
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if d, err = Open("blockstore", dir, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Compact(nil, nil); err != nil {
		t.Fatal(err)
	}
	written, live := int64(rounds*perRound*valSize), int64(keep*perRound*valSize)
	// Live data, plus less than a memtable's worth of what Compact could not merge away
	// and badger's small files, and never more than half of what was written. (Without
	// Compact, the tables flushed since the last background compaction stay: up to
	// NumLevelZeroTables memtables.)
	bound := min(live+badgerx.MemTableSize, written/2)
	got := allocated(t, filepath.Join(dir, "blockstore"))
	t.Logf("%d bytes on disk, %d live, %d written", got, live, written)
	if got > bound {
		t.Fatalf("%d bytes on disk after writing %d and deleting all but the last %d, compacted; want at most %d", got, written, live, bound)
	}
	// What is left is what was kept.
	for i := range perRound {
		for r := range rounds {
			ok, err := d.Has(key(r, i))
			if err != nil {
				t.Fatal(err)
			}
			if want := r >= rounds-keep; ok != want {
				t.Fatalf("key of round %d, %d: present %v, want %v", r, i, ok, want)
			}
		}
	}
}
