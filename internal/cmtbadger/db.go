package cmtbadger

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/dgraph-io/badger/v4"

	"github.com/cometsync/cometsync/internal/badgerx"
)

// Backend is the db_backend value that selects this package ("badgerdb", the name
// cometbft-db gives its own badger backend, so existing configurations keep working).
const Backend = "badgerdb"

var (
	// ErrKeyEmpty is returned for a nil or empty key.
	ErrKeyEmpty = errors.New("cmtbadger: key cannot be empty")
	// ErrValueNil is returned for a nil value (an empty non-nil value is allowed).
	ErrValueNil = errors.New("cmtbadger: value cannot be nil")
	// ErrBatchClosed is returned when a batch is used after Write, WriteSync or Close.
	ErrBatchClosed = errors.New("cmtbadger: batch has been written or closed")
)

// DB is a dbm.DB over a badger database. It is safe for concurrent use.
type DB struct {
	db *badger.DB
}

var _ dbm.DB = (*DB)(nil)

// RecoverHint is what to do with a damaged CometBFT database (block store, state,
// evidence, tx index): the node cannot rebuild it from itself.
const RecoverHint = "the node cannot rebuild it from itself: stop the node, move its data directory away " +
	"(keep config/ and data/priv_validator_state.json) and join again by state sync or from a copy of a healthy node's data " +
	"(see docs/running-a-validator.md, When a database is damaged)"

// Open opens (creating if needed) the database name in dir, at dir/name as cometbft-db's
// badger backend does. Badger's messages go to logger (nil discards them). A damaged
// database is refused with an error matching badgerx.ErrCorrupt (RecoverHint).
func Open(name, dir string, logger *slog.Logger) (*DB, error) {
	if name == "" || dir == "" {
		return nil, fmt.Errorf("cmtbadger: open %q in %q: name and dir are required", name, dir)
	}
	db, err := badgerx.Open(filepath.Join(dir, name), logger)
	if err != nil {
		return nil, badgerx.Damaged("CometBFT database "+name, RecoverHint, err)
	}
	return &DB{db: db}, nil
}

// Get returns the value of key, or nil if it is not set.
func (d *DB) Get(key []byte) ([]byte, error) {
	if len(key) == 0 {
		return nil, ErrKeyEmpty
	}
	var val []byte
	err := d.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		val, err = item.ValueCopy(nil)
		if val == nil {
			val = []byte{}
		}
		return err
	})
	return val, err
}

// Has reports whether key is set.
func (d *DB) Has(key []byte) (bool, error) {
	if len(key) == 0 {
		return false, ErrKeyEmpty
	}
	found := false
	err := d.db.View(func(txn *badger.Txn) error {
		_, err := txn.Get(key)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		found = err == nil
		return err
	})
	return found, err
}

// Set sets key to value.
func (d *DB) Set(key, value []byte) error {
	if err := checkSet(key, value); err != nil {
		return err
	}
	return d.db.Update(func(txn *badger.Txn) error { return txn.Set(key, value) })
}

// SetSync is Set followed by a sync to disk.
func (d *DB) SetSync(key, value []byte) error { return d.sync(d.Set(key, value)) }

// Delete deletes key; deleting a key that is not set is no error.
func (d *DB) Delete(key []byte) error {
	if len(key) == 0 {
		return ErrKeyEmpty
	}
	return d.db.Update(func(txn *badger.Txn) error { return txn.Delete(key) })
}

// DeleteSync is Delete followed by a sync to disk.
func (d *DB) DeleteSync(key []byte) error { return d.sync(d.Delete(key)) }

func (d *DB) sync(err error) error {
	if err != nil {
		return err
	}
	return d.db.Sync()
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Print writes every key and value to stdout (for debugging).
func (d *DB) Print() error {
	it, err := d.Iterator(nil, nil)
	if err != nil {
		return err
	}
	defer it.Close()
	for ; it.Valid(); it.Next() {
		fmt.Printf("[%X]:\t[%X]\n", it.Key(), it.Value())
	}
	return it.Error()
}

// Stats reports the backend and badger's LSM and value log sizes in bytes.
func (d *DB) Stats() map[string]string {
	lsm, vlog := d.db.Size()
	return map[string]string{
		"database.type":      Backend,
		"database.lsm_size":  strconv.FormatInt(lsm, 10),
		"database.vlog_size": strconv.FormatInt(vlog, 10),
	}
}

// Compact frees the space of deleted keys now rather than when badger's background
// compactions reach them: it merges the LSM tree's levels into one (badger.DB.Flatten:
// a deletion's tombstone meets the value it hides and both go) and then rewrites the
// value-log files that are mostly garbage. Badger has no compaction of a key range, so
// start and end are ignored and the whole database is compacted. It may take a while
// on a large database; reads and writes go on meanwhile.
func (d *DB) Compact(_, _ []byte) error {
	if err := d.db.Flatten(1); err != nil {
		return fmt.Errorf("cmtbadger: compact: %w", err)
	}
	return badgerx.ValueLogGC(d.db)
}

func checkSet(key, value []byte) error {
	if len(key) == 0 {
		return ErrKeyEmpty
	}
	if value == nil {
		return ErrValueNil
	}
	return nil
}
