package store

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	pb "github.com/cometsync/cometsync/proto/mediatorpb"
)

// Pruning: the audit log of finished requests is removed up to a pruning point.
//
// The core forgets a request at its decision time (its state leaves the database with
// the event that passes it: Change.Forgotten), so what a mediator database keeps forever
// is the audit log: every request's REQUEST_PENDING, VOTE_COUNTED, RESPONSE_IGNORED and
// VERDICT records. Prune removes the records of finished requests older than a time and
// never one of a request the database still holds (open, or decided and awaiting its
// decision time), nor anything the mediator restarts from (counter, core Meta, request
// states, outbox), so checkpoint/restore and recovery work as before. The indices of the
// records kept do not change; RecordCount still gives the index of the next record, and
// PrunedBefore the pruning point. A recovery by replay (an empty database) rebuilds the
// whole log; prune it again.

var keyPruned = []byte("mediator/pruned-before") // 8 bytes, big-endian: the pruning point

// pruneBatch bounds the records one badger transaction deletes.
const pruneBatch = 1000

// PruneReport is what Prune did.
type PruneReport struct {
	Before  int64  // the pruning point (microseconds): records of requests before it went
	Removed uint64 // audit records removed
	// KeptOpen are records before the pruning point kept because their request is still
	// held (open, or awaiting its decision time).
	KeptOpen uint64
}

func (r PruneReport) String() string {
	return fmt.Sprintf("pruned %d audit records before %d (kept %d of requests still held)", r.Removed, r.Before, r.KeptOpen)
}

// ErrPruneInvalid: the pruning point is not a positive time.
var ErrPruneInvalid = errors.New("invalid pruning point")

// Prune removes the audit records whose event and request are both before before
// (sequencer time, microseconds) and whose request the database no longer holds. It
// runs in batches of transactions, so it may run while the mediator commits; a batch
// that conflicts with a commit is retried.
func (s *Store) Prune(before int64) (PruneReport, error) {
	if before <= 0 {
		return PruneReport{}, fmt.Errorf("%w: %d", ErrPruneInvalid, before)
	}
	rep := PruneReport{Before: before}
	var from uint64
	for {
		var removed, kept uint64
		var next uint64
		var done bool
		err := s.db.Update(func(txn *badger.Txn) error {
			removed, kept, next, done = 0, 0, from, false
			held, err := heldRequests(txn)
			if err != nil {
				return err
			}
			it := txn.NewIterator(badger.IteratorOptions{Prefix: prefRecord})
			defer it.Close()
			var del [][]byte
			for it.Seek(recordKey(from)); ; it.Next() {
				if !it.Valid() {
					done = true
					break
				}
				if len(del) == pruneBatch {
					break
				}
				k := it.Item().KeyCopy(nil)
				idx := binary.BigEndian.Uint64(k[len(prefRecord):])
				next = idx + 1
				r := &pb.Record{}
				if err := it.Item().Value(r.Unmarshal); err != nil {
					return corrupt(prefRecord, k[len(prefRecord):], err)
				}
				if r.EventMicros >= before {
					done = true // records are in event order: nothing later is before
					break
				}
				if r.RequestIdMicros >= before {
					continue
				}
				if held[r.RequestIdMicros] {
					kept++
					continue
				}
				del = append(del, k)
			}
			for _, k := range del {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			removed = uint64(len(del))
			have, err := getUint(txn, keyPruned)
			if err != nil {
				return err
			}
			if uint64(before) > have {
				return txn.Set(keyPruned, binary.BigEndian.AppendUint64(nil, uint64(before)))
			}
			return nil
		})
		if errors.Is(err, badger.ErrConflict) {
			continue // a commit touched what we read: redo this batch
		}
		if err != nil {
			return rep, err
		}
		rep.Removed += removed
		rep.KeptOpen += kept
		if done {
			return rep, nil
		}
		from = next
	}
}

// heldRequests are the ids of the requests the database holds.
func heldRequests(txn *badger.Txn) (map[int64]bool, error) {
	held := map[int64]bool{}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefRequest, PrefetchValues: false})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		k := it.Item().Key()[len(prefRequest):]
		if len(k) != 8 {
			return nil, corrupt(prefRequest, k, fmt.Errorf("key of %d bytes", len(k)))
		}
		held[requestID(k)] = true
	}
	return held, nil
}

// PrunedBefore returns the latest pruning point (0 when the log was never pruned).
func (s *Store) PrunedBefore() (int64, error) {
	var v uint64
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		v, err = getUint(txn, keyPruned)
		return err
	})
	return int64(v), err
}
