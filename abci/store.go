package abci

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"

	"github.com/dgraph-io/badger/v4"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/internal/badgerx"
)

// OpenDB opens (creating if needed) the application's badger database in dir.
// A nil logger discards badger's messages.
func OpenDB(dir string, logger *slog.Logger) (*badger.DB, error) {
	db, err := badgerx.Open(dir, logger)
	if err != nil {
		return nil, fmt.Errorf("application database: %w", err)
	}
	return db, nil
}

// snapshot is a core.Reader over a read-only badger transaction.
type snapshot struct {
	txn *badger.Txn
}

// Snapshot returns a consistent reader over db's committed state and its release func.
func Snapshot(db *badger.DB) (core.Reader, func()) {
	txn := db.NewTransaction(false)
	return snapshot{txn: txn}, txn.Discard
}

func (s snapshot) Get(key []byte) ([]byte, error) {
	item, err := s.txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, core.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}

func (s snapshot) Iterate(prefix, start []byte, fn func(key, value []byte) (bool, error)) error {
	it := s.txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	seek := prefix
	if bytes.Compare(start, prefix) > 0 {
		seek = start
	}
	for it.Seek(seek); it.Valid(); it.Next() {
		item := it.Item()
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		more, err := fn(item.KeyCopy(nil), v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// applyWrites commits ws atomically. A block's writes must land together or not at all:
// a partial block would make the replayed block execute over different state.
func applyWrites(db *badger.DB, ws []core.Write) error {
	txn := db.NewTransaction(true)
	defer txn.Discard()
	for _, w := range ws {
		var err error
		if w.Delete {
			err = txn.Delete(w.Key)
		} else {
			err = txn.Set(w.Key, w.Value)
		}
		if err != nil {
			return fmt.Errorf("stage write of %d keys: %w", len(ws), err)
		}
	}
	return txn.Commit()
}
