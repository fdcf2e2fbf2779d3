package cmtbadger

import (
	"bytes"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/dgraph-io/badger/v4"
)

// Iterator returns an ascending iterator over [start, end); nil is unbounded.
func (d *DB) Iterator(start, end []byte) (dbm.Iterator, error) {
	return d.newIterator(start, end, false)
}

// ReverseIterator returns a descending iterator over [start, end); nil is unbounded.
func (d *DB) ReverseIterator(start, end []byte) (dbm.Iterator, error) {
	return d.newIterator(start, end, true)
}

func (d *DB) newIterator(start, end []byte, reverse bool) (*iterator, error) {
	if (start != nil && len(start) == 0) || (end != nil && len(end) == 0) {
		return nil, ErrKeyEmpty
	}
	txn := d.db.NewTransaction(false)
	opts := badger.DefaultIteratorOptions
	opts.Reverse = reverse
	it := &iterator{txn: txn, it: txn.NewIterator(opts), start: start, end: end, reverse: reverse}
	switch {
	case !reverse && start != nil:
		it.it.Seek(start)
	case reverse && end != nil:
		// A reverse seek lands on the greatest key <= end; end itself is excluded.
		it.it.Seek(end)
		if it.it.Valid() && bytes.Equal(it.it.Item().Key(), end) {
			it.it.Next()
		}
	default:
		it.it.Rewind()
	}
	return it, nil
}

// iterator is a dbm.Iterator over one read-only badger transaction (a snapshot).
type iterator struct {
	txn        *badger.Txn
	it         *badger.Iterator
	start, end []byte
	reverse    bool
	err        error
	closed     bool
}

func (i *iterator) Domain() (start, end []byte) { return i.start, i.end }

func (i *iterator) Valid() bool {
	if i.closed || i.err != nil || !i.it.Valid() {
		return false
	}
	key := i.it.Item().Key()
	if i.reverse {
		return i.start == nil || bytes.Compare(key, i.start) >= 0
	}
	return i.end == nil || bytes.Compare(key, i.end) < 0
}

func (i *iterator) Next() {
	i.mustBeValid()
	i.it.Next()
}

// Key returns a copy of the current key: CometBFT passes iterated keys to batches, which
// keep them until written, while badger reuses its key buffers.
func (i *iterator) Key() []byte {
	i.mustBeValid()
	return i.it.Item().KeyCopy(nil)
}

func (i *iterator) Value() []byte {
	i.mustBeValid()
	v, err := i.it.Item().ValueCopy(nil)
	if err != nil {
		i.err = err
		return nil
	}
	if v == nil {
		v = []byte{}
	}
	return v
}

func (i *iterator) Error() error { return i.err }

func (i *iterator) Close() error {
	if !i.closed {
		i.closed = true
		i.it.Close()
		i.txn.Discard()
	}
	return nil
}

func (i *iterator) mustBeValid() {
	if !i.Valid() {
		panic("cmtbadger: iterator is invalid")
	}
}
