package badgerx

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/ristretto/v2/z"
	"google.golang.org/protobuf/proto"
)

// ErrCorrupt is what every damaged-database error unwraps to: a database whose files
// do not hold what they should (bytes changed, a table cut short, the MANIFEST lost or
// cut). A damaged database is never opened or served as if healthy: the caller stops
// and says how to rebuild it.
var ErrCorrupt = errors.New("database is damaged")

// CorruptError says which database directory is damaged and how. Its message is
// "database at DIR is damaged: REASON"; it matches ErrCorrupt.
type CorruptError struct {
	Dir    string
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("database at %s is damaged: %s", e.Dir, e.Reason)
}

// Unwrap makes a CorruptError match ErrCorrupt.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// IsCorrupt reports whether err says a database is damaged: a CorruptError, or one of
// badger's own checksum and table-decoding failures, which badger reports as text only.
func IsCorrupt(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrCorrupt) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"checksum mismatch", "CHECKSUM_MISMATCH", "failed to verify checksum", "checksum validation failed", "invalid checksum length", "failed to initialize table"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// manifestName is badger's MANIFEST file name.
const manifestName = "MANIFEST"

// Check verifies the files of the badger database in dir before badger opens it, so
// that damage is refused with a CorruptError rather than repaired away, served, or
// turned into a panic. Badger itself, on open, creates an empty MANIFEST when it is
// missing and then deletes every table it does not list (so a lost or truncated MANIFEST
// silently empties the database), drops a table whose checksum fails with only a log
// line, and panics, on a goroutine of its own where no caller can recover it, on a
// table cut short. Check refuses:
//
//   - table files (.sst) without a MANIFEST;
//   - a MANIFEST that is not badger's, or with a record whose checksum fails;
//   - a table the MANIFEST lists whose file is missing;
//   - a table file the MANIFEST never mentions (its entries were lost: badger would
//     delete the table, and its data with it);
//   - a table whose structure or any block checksum fails (every table is read once).
//
// A table the MANIFEST records as deleted but whose file remains (a stop right after a
// compaction) is left for badger to remove. An absent or empty directory passes.
func Check(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var files []uint64
	hasManifest := false
	for _, e := range entries {
		if e.Name() == manifestName {
			hasManifest = true
		}
		if id, ok := table.ParseFileID(e.Name()); ok && strings.HasSuffix(e.Name(), ".sst") {
			files = append(files, id)
		}
	}
	slices.Sort(files)
	if !hasManifest {
		if len(files) > 0 {
			return &CorruptError{Dir: dir, Reason: fmt.Sprintf("the MANIFEST is missing while %d table files remain (%s)", len(files), tableNames(files))}
		}
		return nil
	}
	m, err := readManifest(filepath.Join(dir, manifestName))
	if err != nil {
		return &CorruptError{Dir: dir, Reason: err.Error()}
	}
	onDisk := map[uint64]bool{}
	for _, id := range files {
		onDisk[id] = true
	}
	var missing, unlisted []uint64
	for id := range m.live {
		if !onDisk[id] {
			missing = append(missing, id)
		}
	}
	for _, id := range files {
		if !m.mentioned[id] {
			unlisted = append(unlisted, id)
		}
	}
	slices.Sort(missing)
	switch {
	case len(missing) > 0:
		return &CorruptError{Dir: dir, Reason: fmt.Sprintf("the MANIFEST lists table files that are missing (%s)", tableNames(missing))}
	case len(unlisted) > 0:
		return &CorruptError{Dir: dir, Reason: fmt.Sprintf("table files the MANIFEST does not list (%s): the MANIFEST lost entries (cut short or replaced)", tableNames(unlisted))}
	}
	for _, id := range files {
		if c, live := m.live[id]; live {
			if err := verifyTable(table.NewFilename(id, dir), c); err != nil {
				return &CorruptError{Dir: dir, Reason: err.Error()}
			}
		}
	}
	return nil
}

func tableNames(ids []uint64) string {
	const show = 5
	var names []string
	for i, id := range ids {
		if i == show {
			names = append(names, fmt.Sprintf("and %d more", len(ids)-show))
			break
		}
		names = append(names, table.IDToFilename(id))
	}
	return strings.Join(names, ", ")
}

// manifest is what Check needs of a MANIFEST: the tables it lists now, with their
// compression, and every table it ever mentioned.
type manifest struct {
	live      map[uint64]options.CompressionType
	mentioned map[uint64]bool
}

// readManifest replays a MANIFEST as badger does (a record cut short at the end is a
// write interrupted by a stop, and ignored, as badger ignores it), without changing it.
func readManifest(path string) (*manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	r := bufio.NewReader(f)
	var head [8]byte
	if _, err := io.ReadFull(r, head[:]); err != nil || !bytes.Equal(head[:4], []byte("Bdgr")) {
		return nil, fmt.Errorf("the MANIFEST (%d bytes) does not start with badger's magic header", st.Size())
	}
	m := &manifest{live: map[uint64]options.CompressionType{}, mentioned: map[uint64]bool{}}
	for n := 0; ; n++ {
		var lenCRC [8]byte
		if _, err := io.ReadFull(r, lenCRC[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return m, nil
			}
			return nil, err
		}
		size := binary.BigEndian.Uint32(lenCRC[:4])
		if int64(size) > st.Size() {
			return nil, fmt.Errorf("MANIFEST record %d claims %d bytes in a %d-byte file", n, size, st.Size())
		}
		buf := make([]byte, size)
		if _, err := io.ReadFull(r, buf); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return m, nil
			}
			return nil, err
		}
		if crc32.Checksum(buf, crc32.MakeTable(crc32.Castagnoli)) != binary.BigEndian.Uint32(lenCRC[4:]) {
			return nil, fmt.Errorf("MANIFEST record %d fails its checksum", n)
		}
		var cs pb.ManifestChangeSet
		if err := proto.Unmarshal(buf, &cs); err != nil {
			return nil, fmt.Errorf("MANIFEST record %d: %v", n, err)
		}
		for _, c := range cs.Changes {
			m.mentioned[c.Id] = true
			switch c.Op {
			case pb.ManifestChange_CREATE:
				m.live[c.Id] = options.CompressionType(c.Compression)
			case pb.ManifestChange_DELETE:
				delete(m.live, c.Id)
			}
		}
	}
}

// verifyTable opens the table file at path read-only and checks its structure and every
// block's checksum. Badger panics on some damage (a table cut short); the panic is
// recovered into an error here, on the caller's goroutine.
func verifyTable(path string, c options.CompressionType) (err error) {
	mf, err := z.OpenMmapFile(path, os.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("table %s cannot be mapped: %v", filepath.Base(path), err)
	}
	// OpenTable closes mf itself on some errors; closing it again only fails.
	defer func() {
		if r := recover(); r != nil {
			size := int64(-1)
			if st, statErr := os.Stat(path); statErr == nil {
				size = st.Size()
			}
			err = fmt.Errorf("table %s (%d bytes) cannot be decoded: it is cut short or overwritten", filepath.Base(path), size)
		}
		_ = mf.Close(-1)
	}()
	opts := table.Options{ReadOnly: true, ChkMode: options.OnTableRead, Compression: c, BlockSize: tableBlockSize}
	if _, err := table.OpenTable(mf, opts); err != nil {
		return fmt.Errorf("table %s is damaged: %v", filepath.Base(path), err)
	}
	return nil
}

// tableBlockSize is badger's default block size, which OpenTable wants for a compressed
// table (it only sizes buffers with it).
var tableBlockSize = badger.DefaultOptions("").BlockSize

// firstLine returns s up to its first non-empty line (badger's recovered panics carry
// a multi-line dump).
func firstLine(s string) string {
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return s
}

// Verify checks every table of the open database db as Check does at open, reading each
// from disk (not from badger's block cache), and returns a CorruptError for the first
// damaged one. Badger's reads do not report a block that fails its checksum (a point
// read finds no key, an iterator ends early), so a caller that meets data missing where
// it must be calls Verify to tell damage from a bug. Tables compacted away meanwhile are
// skipped. It reads the whole database: call it on such a suspicion, not per read.
func Verify(db *badger.DB) error {
	dir := db.Opts().Dir
	if db.Opts().InMemory || dir == "" {
		return nil
	}
	// The MANIFEST only says how each table is compressed here: badger appends to it
	// meanwhile, so a record being written may read as damaged; the options' compression
	// (what badger writes new tables with) stands in for what it does not say.
	m, err := readManifest(filepath.Join(dir, manifestName))
	if err != nil {
		m = &manifest{}
	}
	for _, ti := range db.Tables() {
		path := table.NewFilename(ti.ID, dir)
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			continue
		}
		c, ok := m.live[ti.ID]
		if !ok {
			c = db.Opts().Compression
		}
		if err := verifyTable(path, c); err != nil {
			if _, statErr := os.Stat(path); errors.Is(statErr, os.ErrNotExist) {
				continue
			}
			return &CorruptError{Dir: dir, Reason: err.Error()}
		}
	}
	return nil
}

// Damaged returns err as what sees it: when err says a database is damaged (IsCorrupt),
// "WHAT: ERR; REMEDY", still matching ErrCorrupt; any other error as "WHAT: ERR". what
// names the database ("application database"), remedy says how to rebuild it.
func Damaged(what, remedy string, err error) error {
	if err == nil {
		return nil
	}
	if IsCorrupt(err) {
		if !errors.Is(err, ErrCorrupt) {
			err = fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		return fmt.Errorf("%s: %w; %s", what, err, remedy)
	}
	return fmt.Errorf("%s: %w", what, err)
}
