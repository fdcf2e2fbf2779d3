package abci

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/dgraph-io/badger/v4"
)

// SnapshotFormat is the only snapshot format: the application's whole key space in key
// order, as length-prefixed records cut into chunks. Format 2 has the key space of store
// layout 2 (grouped stream entries and expiry records, see storeLayout); format 1 had
// layout 1 and is refused.
const SnapshotFormat uint32 = 2

// ErrInvalidConfig is what a ConfigError wraps: SnapshotConfig.Validate and
// EnableSnapshots return it for unusable settings.
var ErrInvalidConfig = errors.New("invalid abci config")

// ConfigError names the field of SnapshotConfig that is invalid.
type ConfigError struct {
	Field, Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%v: %s: %s", ErrInvalidConfig, e.Field, e.Reason)
}

// Unwrap returns ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// SnapshotConfig controls state-sync snapshots.
type SnapshotConfig struct {
	// Dir holds one directory per snapshot height.
	Dir string
	// Interval takes a snapshot at every height divisible by it; 0 disables snapshots
	// (restoring from others' snapshots still works).
	Interval int64
	// KeepRecent is how many snapshots are kept (older ones are deleted).
	KeepRecent int
	// ChunkSize is the target size of a chunk in bytes.
	ChunkSize int
}

// DefaultSnapshotConfig takes a snapshot every 1000 blocks and keeps two.
func DefaultSnapshotConfig(dir string) SnapshotConfig {
	return SnapshotConfig{Dir: dir, Interval: 1000, KeepRecent: 2, ChunkSize: 1 << 20}
}

// Validate returns a *ConfigError naming the first bad field.
func (c SnapshotConfig) Validate() error {
	switch {
	case c.Interval < 0:
		return &ConfigError{"Interval", "must not be negative"}
	case c.Interval > 0 && c.KeepRecent < 1:
		return &ConfigError{"KeepRecent", "must be at least 1 when Interval is set"}
	case c.ChunkSize < 1024:
		return &ConfigError{"ChunkSize", "must be at least 1 KiB"}
	case c.Dir == "":
		return &ConfigError{"Dir", "empty"}
	}
	return nil
}

// snapshotMeta is stored beside the chunks and sent as the snapshot's metadata, so a
// restoring node can check every chunk before applying it.
type snapshotMeta struct {
	Height      uint64   `json:"height"`
	Format      uint32   `json:"format"`
	ChunkHashes [][]byte `json:"chunk_hashes"`
	AppHash     []byte   `json:"app_hash"`
}

func (m *snapshotMeta) hash() []byte {
	h := sha256.New()
	for _, c := range m.ChunkHashes {
		h.Write(c)
	}
	return h.Sum(nil)
}

// snapshotStore writes and serves snapshots on disk.
type snapshotStore struct {
	cfg    SnapshotConfig
	logger *slog.Logger
	mu     sync.Mutex
	busy   bool
}

func newSnapshotStore(cfg SnapshotConfig, logger *slog.Logger) (*snapshotStore, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, err
	}
	return &snapshotStore{cfg: cfg, logger: logger}, nil
}

// due reports whether a snapshot should be taken at height (and none is being written).
func (s *snapshotStore) due(height int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.Interval <= 0 || height%s.cfg.Interval != 0 || s.busy {
		return false
	}
	s.busy = true
	return true
}

// create writes the state seen by txn as the snapshot of height, then discards txn.
// It runs in its own goroutine; consensus goes on meanwhile.
func (s *snapshotStore) create(height uint64, appHash []byte, txn *badger.Txn) {
	defer func() {
		txn.Discard()
		s.mu.Lock()
		s.busy = false
		s.mu.Unlock()
	}()
	if err := s.write(height, appHash, txn); err != nil {
		s.logger.Error("snapshot failed", "height", height, "err", err)
		return
	}
	s.prune()
	s.logger.Info("snapshot taken", "height", height)
}

func (s *snapshotStore) write(height uint64, appHash []byte, txn *badger.Txn) error {
	final := filepath.Join(s.cfg.Dir, strconv.FormatUint(height, 10))
	tmp := final + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	meta := &snapshotMeta{Height: height, Format: SnapshotFormat, AppHash: appHash}
	var chunk bytes.Buffer
	flush := func() error {
		if err := os.WriteFile(filepath.Join(tmp, fmt.Sprintf("chunk-%06d", len(meta.ChunkHashes))), chunk.Bytes(), 0o600); err != nil {
			return err
		}
		sum := sha256.Sum256(chunk.Bytes())
		meta.ChunkHashes = append(meta.ChunkHashes, sum[:])
		chunk.Reset()
		return nil
	}
	it := txn.NewIterator(badger.DefaultIteratorOptions)
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		v, err := it.Item().ValueCopy(nil)
		if err != nil {
			return err
		}
		appendRecord(&chunk, it.Item().Key(), v)
		if chunk.Len() >= s.cfg.ChunkSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if chunk.Len() > 0 || len(meta.ChunkHashes) == 0 {
		if err := flush(); err != nil {
			return err
		}
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "snapshot.json"), b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, final)
}

func appendRecord(buf *bytes.Buffer, k, v []byte) {
	buf.Write(binary.AppendUvarint(nil, uint64(len(k))))
	buf.Write(k)
	buf.Write(binary.AppendUvarint(nil, uint64(len(v))))
	buf.Write(v)
}

// decodeRecords splits a chunk into key/value pairs.
func decodeRecords(chunk []byte, fn func(k, v []byte) error) error {
	for len(chunk) > 0 {
		k, rest, err := readField(chunk)
		if err != nil {
			return err
		}
		v, rest, err := readField(rest)
		if err != nil {
			return err
		}
		if err := fn(k, v); err != nil {
			return err
		}
		chunk = rest
	}
	return nil
}

func readField(b []byte) (field, rest []byte, err error) {
	n, w := binary.Uvarint(b)
	if w <= 0 || uint64(len(b)-w) < n {
		return nil, nil, errors.New("snapshot chunk: truncated record")
	}
	return b[w : w+int(n)], b[w+int(n):], nil
}

// heights lists the complete snapshots, newest first.
func (s *snapshotStore) heights() []uint64 {
	entries, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return nil
	}
	var hs []uint64
	for _, e := range entries {
		if h, err := strconv.ParseUint(e.Name(), 10, 64); err == nil && e.IsDir() {
			hs = append(hs, h)
		}
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i] > hs[j] })
	return hs
}

func (s *snapshotStore) prune() {
	for i, h := range s.heights() {
		if i >= s.cfg.KeepRecent {
			_ = os.RemoveAll(filepath.Join(s.cfg.Dir, strconv.FormatUint(h, 10)))
		}
	}
}

func (s *snapshotStore) meta(height uint64) (*snapshotMeta, error) {
	b, err := os.ReadFile(filepath.Join(s.cfg.Dir, strconv.FormatUint(height, 10), "snapshot.json"))
	if err != nil {
		return nil, err
	}
	var m snapshotMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("snapshot %d metadata: %w", height, err)
	}
	return &m, nil
}

func (s *snapshotStore) list() []*abcitypes.Snapshot {
	var out []*abcitypes.Snapshot
	for _, h := range s.heights() {
		m, err := s.meta(h)
		if err != nil {
			continue
		}
		md, _ := json.Marshal(m)
		out = append(out, &abcitypes.Snapshot{Height: h, Format: m.Format, Chunks: uint32(len(m.ChunkHashes)), Hash: m.hash(), Metadata: md})
	}
	return out
}

func (s *snapshotStore) chunk(height uint64, index uint32) ([]byte, error) {
	return os.ReadFile(filepath.Join(s.cfg.Dir, strconv.FormatUint(height, 10), fmt.Sprintf("chunk-%06d", index)))
}
