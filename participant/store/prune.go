package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/cometsync/cometsync/internal/badgerx"
)

// PruneReport is what Prune removed.
type PruneReport struct {
	Before    int64 // the new pruned offset: updates before it are gone
	Updates   int
	Contracts int // archived contracts removed
}

// Prune removes the updates before offset before, their root hash index, the archived
// contracts (and creation seeds) those updates archived, and the tick marks before them.
// Active contracts stay. The pruned offset is recorded first, so an interrupted prune
// reads as pruned and completes when run again. The caller checks the point is safe
// (participant.CheckPrune).
func (s *Store) Prune(before int64) (PruneReport, error) {
	r := PruneReport{Before: before}
	if err := s.db.Update(func(txn *badger.Txn) error {
		var have int64
		if _, err := getJSON(txn, keyPruned, &have); err != nil {
			return err
		}
		return setJSON(txn, keyPruned, max(have, before))
	}); err != nil {
		return r, err
	}
	var dels [][]byte
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefUpdate})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().KeyCopy(nil)
			if int64(binary.BigEndian.Uint64(k[len(prefUpdate):])) >= before {
				break
			}
			var rec updateRecord
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &rec) }); err != nil {
				return fmt.Errorf("update record %x: %w", k, err)
			}
			dels = append(dels, k, key(prefUpdateBy, string(rec.RootHash[:])))
			r.Updates++
			for _, id := range rec.Archived {
				if _, err := txn.Get(key(prefActive, string(id))); err == nil {
					continue // archived and active: not possible, but never drop an active one
				}
				dels = append(dels, key(prefContract, string(id)), key(prefSeed, string(id)))
				r.Contracts++
			}
		}
		return badgerx.Each(txn, prefTick, func(k, v []byte) error {
			var m TickMark
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("tick mark %x: %w", k, err)
			}
			if m.Offset+1 < before {
				dels = append(dels, append(append([]byte(nil), prefTick...), k...))
			}
			return nil
		})
	})
	if err != nil {
		return r, err
	}
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, k := range dels {
		if err := wb.Delete(k); err != nil {
			return r, err
		}
	}
	return r, wb.Flush()
}

// UpdateTime returns the request time of the update at offset (false when none).
func (s *Store) UpdateTime(offset int64) (int64, bool, error) {
	us, err := s.Updates(offset, 1)
	if err != nil || len(us) == 0 || us[0].Offset != offset {
		return 0, false, err
	}
	return us[0].RequestID, true, nil
}

// FirstUpdateAtOrAfter returns the offset of the first update whose request time is at
// or after t (false when none).
func (s *Store) FirstUpdateAtOrAfter(t int64) (int64, bool, error) {
	var off int64
	var found bool
	err := s.db.View(func(txn *badger.Txn) error {
		return badgerx.Each(txn, prefUpdate, func(k, v []byte) error {
			if found {
				return nil
			}
			var rec updateRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("update record %x: %w", k, err)
			}
			if rec.RequestID >= t {
				off, found = int64(binary.BigEndian.Uint64(k)), true
			}
			return nil
		})
	})
	return off, found, err
}
