package cmtbadger

import (
	"errors"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/dgraph-io/badger/v4"
)

// NewBatch returns an empty batch; the caller must Close it.
func (d *DB) NewBatch() dbm.Batch { return &batch{d: d} }

// op is one buffered write: a set, or a delete when del is true.
type op struct {
	key, value []byte
	del        bool
}

// batch buffers writes and applies them in order at Write, in one badger transaction
// when they fit in one (atomically), otherwise through a badger WriteBatch (split over
// several transactions).
type batch struct {
	d      *DB
	ops    []op
	closed bool
}

func (b *batch) Set(key, value []byte) error {
	if b.closed {
		return ErrBatchClosed
	}
	if err := checkSet(key, value); err != nil {
		return err
	}
	b.ops = append(b.ops, op{key: key, value: value})
	return nil
}

func (b *batch) Delete(key []byte) error {
	if b.closed {
		return ErrBatchClosed
	}
	if len(key) == 0 {
		return ErrKeyEmpty
	}
	b.ops = append(b.ops, op{key: key, del: true})
	return nil
}

func (b *batch) Write() error {
	if b.closed {
		return ErrBatchClosed
	}
	ops := b.ops
	b.Close()
	err := b.d.db.Update(func(txn *badger.Txn) error { return apply(txn, ops) })
	if errors.Is(err, badger.ErrTxnTooBig) {
		err = b.writeSplit(ops)
	}
	return err
}

func (b *batch) WriteSync() error { return b.d.sync(b.Write()) }

func (b *batch) Close() error {
	b.closed = true
	b.ops = nil
	return nil
}

func (b *batch) writeSplit(ops []op) error {
	wb := b.d.db.NewWriteBatch()
	if err := apply(wb, ops); err != nil {
		wb.Cancel()
		return err
	}
	return wb.Flush()
}

// txnWriter is what a batch's writes are applied to: a badger transaction or WriteBatch.
type txnWriter interface {
	Set(key, value []byte) error
	Delete(key []byte) error
}

var (
	_ txnWriter = (*badger.Txn)(nil)
	_ txnWriter = (*badger.WriteBatch)(nil)
)

func apply(txn txnWriter, ops []op) error {
	for _, o := range ops {
		var err error
		if o.del {
			err = txn.Delete(o.key)
		} else {
			err = txn.Set(o.key, o.value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
