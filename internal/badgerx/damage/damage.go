// Package damage damages the files of a stopped badger database the ways disks and
// careless operators do, for the tests that show a damaged database is refused
// (badgerx.ErrCorrupt) rather than served.
package damage

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
)

// Tables lists the table files (.sst) of the database in dir, largest first.
func Tables(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.sst"))
	if err != nil {
		return nil, err
	}
	size := map[string]int64{}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		size[p] = st.Size()
	}
	slices.SortFunc(paths, func(a, b string) int { return int(size[b] - size[a]) })
	return paths, nil
}

func largestTable(dir string) (string, int64, error) {
	ts, err := Tables(dir)
	if err != nil {
		return "", 0, err
	}
	if len(ts) == 0 {
		return "", 0, fmt.Errorf("damage: no table file in %s", dir)
	}
	st, err := os.Stat(ts[0])
	if err != nil {
		return "", 0, err
	}
	return ts[0], st.Size(), nil
}

// GarbleTable overwrites n bytes (at most the table's first half) at a random offset in
// the first half of the largest table file in dir, where the data blocks are, with
// random bytes, and returns the file.
func GarbleTable(dir string, rng *rand.Rand, n int) (string, error) {
	path, size, err := largestTable(dir)
	if err != nil {
		return "", err
	}
	half := size / 2
	if int64(n) > half {
		n = int(half)
	}
	if n <= 0 {
		return "", fmt.Errorf("damage: table %s has only %d bytes", path, size)
	}
	off := rng.Int64N(half - int64(n) + 1)
	buf := make([]byte, n)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return "", err
	}
	if _, err := f.WriteAt(buf, off); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}

// TruncateTable cuts the largest table file in dir to a random length below half its
// size, as a copy or a disk that stopped part-way leaves it, and returns the file.
func TruncateTable(dir string, rng *rand.Rand) (string, error) {
	path, size, err := largestTable(dir)
	if err != nil {
		return "", err
	}
	return path, os.Truncate(path, rng.Int64N(size/2+1))
}

// DeleteManifest removes the MANIFEST of the database in dir.
func DeleteManifest(dir string) error {
	return os.Remove(filepath.Join(dir, "MANIFEST"))
}

// TruncateManifest cuts the MANIFEST of the database in dir inside the length and
// checksum of its first record, after the 8-byte header, which loses every record.
func TruncateManifest(dir string, rng *rand.Rand) error {
	path := filepath.Join(dir, "MANIFEST")
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.Size() <= 16 {
		return fmt.Errorf("damage: MANIFEST in %s has only %d bytes", dir, st.Size())
	}
	return os.Truncate(path, 8+rng.Int64N(8))
}

// GarbleTables overwrites the first three quarters of every table file in dir (the data
// blocks, not the index at the end) with random bytes: whatever is read from disk
// afterwards fails its checksum.
func GarbleTables(dir string, rng *rand.Rand) error {
	ts, err := Tables(dir)
	if err != nil {
		return err
	}
	if len(ts) == 0 {
		return fmt.Errorf("damage: no table file in %s", dir)
	}
	for _, path := range ts {
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		buf := make([]byte, st.Size()*3/4)
		for i := range buf {
			buf[i] = byte(rng.Uint32())
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		if _, err := f.WriteAt(buf, 0); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}
