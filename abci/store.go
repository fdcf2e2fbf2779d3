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

// RecoverHint is what to do with a damaged application database: it is derived state,
// rebuilt from the node's block store (or restored by state sync).
const RecoverHint = "rebuild it from the block store: stop the node, run cometsync node recover --home HOME --wipe " +
	"(or move data/app away) and start the node again, which replays every block into a fresh application database; " +
	"a node that prunes blocks (min_retain_blocks) state-syncs instead (see docs/running-a-validator.md, When a database is damaged)"

// OpenDB opens (creating if needed) the application's badger database in dir. Only
// InitChain, Commit and state-sync restore write to it, one at a time.
// A nil logger discards badger's messages. A damaged database (badgerx.Check) is refused
// with an error matching badgerx.ErrCorrupt that says how to rebuild it (RecoverHint).
func OpenDB(dir string, logger *slog.Logger) (*badger.DB, error) {
	db, err := badgerx.OpenSingleWriter(dir, logger)
	if err != nil {
		return nil, badgerx.Damaged("application database", RecoverHint, err)
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
// a partial block would make the replayed block execute over different state. Most blocks
// fit in one badger transaction. One that does not (badger bounds a transaction to a
// share of its memtable; a full block of small multicasts to every member writes nearly
// a million keys) is first recorded whole under keyPendingBlock, then applied in several
// transactions, then the record is deleted: a node stopped in between applies the rest
// when it opens its database again (finishPendingBlock), before anything reads the state.
func applyWrites(db *badger.DB, ws []core.Write) error {
	txn := db.NewTransaction(true)
	defer txn.Discard()
	for _, w := range ws {
		if err := stage(txn, w); err != nil {
			if errors.Is(err, badger.ErrTxnTooBig) {
				txn.Discard()
				return applyLarge(db, ws)
			}
			return fmt.Errorf("stage write of %d keys: %w", len(ws), err)
		}
	}
	return txn.Commit()
}

// keyPendingBlock holds the writes of a block being applied in several transactions. It
// lies outside the state machine's key space (whose tags are letters), so it is neither
// read by the machine nor part of snapshots taken after the block.
var keyPendingBlock = []byte{0, 'P'}

// keyLayout records the layout of the application's key space. Like keyPendingBlock it
// lies outside the state machine's key space.
var keyLayout = []byte{0, 'L'}

// storeLayout is the key-space layout this version reads and writes. Layout 2 groups a
// member's stream entries into records of up to 64 per block (core.KeyEvent) and keeps
// one expiry record of dedupe entries per block; layout 1, which had no keyLayout,
// stored one key per stream entry and one expiry key per submission.
const storeLayout = 2

// layoutWrite marks a database as holding layout storeLayout.
func layoutWrite() core.Write { return core.Write{Key: keyLayout, Value: []byte{storeLayout}} }

// checkLayout refuses a database initialized by a version with another layout: reading it
// would misread the streams. An empty database is fine (InitChain or a state-sync
// restore fills it).
func checkLayout(db *badger.DB) error {
	return db.View(func(txn *badger.Txn) error {
		if _, err := txn.Get(core.KeyGenesis()); errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		layout := byte(1)
		item, err := txn.Get(keyLayout)
		switch {
		case errors.Is(err, badger.ErrKeyNotFound):
		case err != nil:
			return err
		default:
			if err := item.Value(func(v []byte) error {
				if len(v) != 1 {
					return fmt.Errorf("corrupt layout record %x", v)
				}
				layout = v[0]
				return nil
			}); err != nil {
				return err
			}
		}
		if layout != storeLayout {
			return fmt.Errorf("the application database%s has store layout %d and this version reads layout %d: "+
				"move the application database (data/app) away and start the node again; it rebuilds the state from its block store, or state-syncs",
				dbDir(db), layout, storeLayout)
		}
		return nil
	})
}

func stage(txn *badger.Txn, w core.Write) error {
	if w.Delete {
		return txn.Delete(w.Key)
	}
	return txn.Set(w.Key, w.Value)
}

func applyLarge(db *badger.DB, ws []core.Write) error {
	if err := recordPending(db, ws); err != nil {
		return err
	}
	if err := applyInParts(db, ws); err != nil {
		return err
	}
	return db.Update(func(txn *badger.Txn) error { return txn.Delete(keyPendingBlock) })
}

// recordPending stores ws whole under keyPendingBlock, in one transaction.
func recordPending(db *badger.DB, ws []core.Write) error {
	var record bytes.Buffer
	for _, w := range ws {
		op := []byte{writeSet}
		if w.Delete {
			op[0] = writeDelete
		}
		appendRecord(&record, w.Key, append(op, w.Value...))
	}
	if err := db.Update(func(txn *badger.Txn) error { return txn.Set(keyPendingBlock, record.Bytes()) }); err != nil {
		return fmt.Errorf("record the %d writes of a large block: %w", len(ws), err)
	}
	return nil
}

const (
	writeSet    = 0
	writeDelete = 1
)

// applyInParts applies ws in as many transactions as badger needs, in order.
func applyInParts(db *badger.DB, ws []core.Write) error {
	txn := db.NewTransaction(true)
	defer func() { txn.Discard() }()
	for _, w := range ws {
		err := stage(txn, w)
		if errors.Is(err, badger.ErrTxnTooBig) {
			if err := txn.Commit(); err != nil {
				return fmt.Errorf("apply part of a large block: %w", err)
			}
			txn = db.NewTransaction(true)
			err = stage(txn, w)
		}
		if err != nil {
			return fmt.Errorf("apply a large block: %w", err)
		}
	}
	return txn.Commit()
}

// finishPendingBlock applies the rest of a large block whose application was interrupted
// (see applyWrites); it reports whether there was one.
func finishPendingBlock(db *badger.DB) (bool, error) {
	var record []byte
	err := db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(keyPendingBlock)
		if err != nil {
			return err
		}
		record, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read the pending block: %w", err)
	}
	var ws []core.Write
	err = decodeRecords(record, func(k, v []byte) error {
		if len(v) == 0 || v[0] > writeDelete {
			return errors.New("pending block: bad write record")
		}
		ws = append(ws, core.Write{Key: k, Value: v[1:], Delete: v[0] == writeDelete})
		return nil
	})
	if err != nil {
		return false, err
	}
	if err := applyInParts(db, ws); err != nil {
		return false, err
	}
	return true, db.Update(func(txn *badger.Txn) error { return txn.Delete(keyPendingBlock) })
}

// dbDir names db's directory for messages (" at DIR"), or nothing for an in-memory one.
func dbDir(db *badger.DB) string {
	if dir := db.Opts().Dir; dir != "" {
		return " at " + dir
	}
	return ""
}
