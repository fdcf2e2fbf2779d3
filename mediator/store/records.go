package store

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	pb "github.com/cometsync/cometsync/proto/mediatorpb"
)

// The audit log: the core's records in the order committed, under consecutive indices
// from 0.

func appendRecords(txn *badger.Txn, recs []*pb.Record) error {
	if len(recs) == 0 {
		return nil
	}
	n, err := getUint(txn, keyRecordNext)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r == nil {
			return fmt.Errorf("audit record %d is nil", n)
		}
		b, err := r.Marshal()
		if err != nil {
			return fmt.Errorf("audit record %d: %w", n, err)
		}
		if err := txn.Set(recordKey(n), b); err != nil {
			return err
		}
		n++
	}
	return txn.Set(keyRecordNext, binary.BigEndian.AppendUint64(nil, n))
}

// Records returns up to limit audit records from index from on, in the order committed.
func (s *Store) Records(from uint64, limit int) ([]*pb.Record, error) {
	var out []*pb.Record
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefRecord})
		defer it.Close()
		for it.Seek(recordKey(from)); it.Valid() && len(out) < limit; it.Next() {
			k := it.Item().KeyCopy(nil)[len(prefRecord):]
			r := &pb.Record{}
			if err := it.Item().Value(r.Unmarshal); err != nil {
				return corrupt(prefRecord, k, err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// RecordCount returns the number of audit records committed: the index of the next one.
func (s *Store) RecordCount() (uint64, error) {
	var n uint64
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		n, err = getUint(txn, keyRecordNext)
		return err
	})
	return n, err
}

func recordKey(i uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), prefRecord...), i)
}

// getUint reads an 8-byte big-endian number; 0 when absent.
func getUint(txn *badger.Txn, k []byte) (uint64, error) {
	item, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var n uint64
	err = item.Value(func(v []byte) error {
		if len(v) != 8 {
			return fmt.Errorf("value of %d bytes, want 8", len(v))
		}
		n = binary.BigEndian.Uint64(v)
		return nil
	})
	if err != nil {
		return 0, corrupt(k, nil, err)
	}
	return n, nil
}
