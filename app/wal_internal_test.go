package app

import (
	"path/filepath"
	"strings"
	"testing"

	cmtcons "github.com/cometbft/cometbft/consensus"
	cmttypes "github.com/cometbft/cometbft/types"
)

// writeWAL writes a CometBFT consensus WAL at walFile with heights 1..heights, each some
// round-state messages and its #ENDHEIGHT marker, rotated into a chunk file after every
// height (CometBFT rotates at 10 MiB; the rotation is what matters here).
func writeWAL(t *testing.T, walFile string, heights int64) {
	t.Helper()
	wal, err := cmtcons.NewWAL(walFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := wal.Start(); err != nil {
		t.Fatal(err)
	}
	filler := strings.Repeat("x", 10_000) // records longer than a read buffer
	for h := int64(1); h <= heights; h++ {
		for r := range 3 {
			if err := wal.Write(cmttypes.EventDataRoundState{Height: h, Round: int32(r), Step: filler}); err != nil {
				t.Fatal(err)
			}
		}
		if err := wal.WriteSync(cmtcons.EndHeightMessage{Height: h}); err != nil {
			t.Fatal(err)
		}
		wal.Group().RotateFile()
	}
	if err := wal.Stop(); err != nil {
		t.Fatal(err)
	}
	wal.Wait()
}

// TestTrimWAL: trimWAL removes the chunks older than the newest one holding the marker
// of committed-2, and a WAL opened again afterwards still finds the markers a restart
// looks for (committed-1, and committed-2 after a stop between block store and state).
func TestTrimWAL(t *testing.T) {
	walFile := filepath.Join(t.TempDir(), "cs.wal", "wal")
	const heights = 10
	writeWAL(t, walFile, heights)
	before, err := walChunks(walFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != heights {
		t.Fatalf("%d chunks written, want %d: %v", len(before), heights, before)
	}
	// Committed 1: no marker at or below -1, nothing goes.
	if n, err := trimWAL(walFile, 1); err != nil || n != 0 {
		t.Fatalf("trim at committed height 1: removed %d, err %v; want nothing removed", n, err)
	}
	n, err := trimWAL(walFile, heights)
	if err != nil {
		t.Fatal(err)
	}
	after, err := walChunks(walFile)
	if err != nil {
		t.Fatal(err)
	}
	// Chunk k holds height k+1's messages and marker (chunk 0 also the marker of height
	// 0 the WAL starts with). The newest chunk with a marker at or below heights-2 is
	// chunk heights-3: the heights-3 chunks before it go.
	if n != heights-3 || len(after) != 3 || after[0] != before[heights-3] {
		t.Fatalf("trim at committed height %d removed %d of %d chunks, left %v; want %d removed, from %s on left", heights, n, len(before), after, heights-3, before[heights-3])
	}
	wal, err := cmtcons.NewWAL(walFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []int64{heights - 1, heights - 2} {
		rd, found, err := wal.SearchForEndHeight(h, &cmtcons.WALSearchOptions{})
		if err != nil || !found {
			t.Fatalf("after the trim, #ENDHEIGHT %d found %v, err %v", h, found, err)
		}
		rd.Close()
	}
	// Trimming again removes nothing more.
	if n, err := trimWAL(walFile, heights); err != nil || n != 0 {
		t.Fatalf("second trim removed %d, err %v", n, err)
	}
}
