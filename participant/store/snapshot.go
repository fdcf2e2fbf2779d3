package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"github.com/cometsync/cometsync/internal/badgerx"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant/commitments"
)

// Keys of the snapshot and pruning records.
var (
	prefTick    = []byte("participant/tick/")        // tick (8 bytes) -> TickMark
	prefOutcome = []byte("participant/acs-outcome/") // period end (8 bytes) + counter-participant -> Outcome
	keyPruned   = []byte("participant/pruned-offset")
)

// TickMark is where a reconciliation tick fell in the participant's stream: the ACS as of
// the tick is the one before the event at NextCounter, that is after update Offset. A
// snapshot can be exported at any tick marked whose updates are not pruned.
type TickMark struct {
	Tick            int64 // period end, sequencer time
	NextCounter     int64 // the first event after the tick
	TimestampMicros int64 // that event's sequencing time
	Offset          int64 // the ledger end as of the tick
	// Pending is how many confirmation requests were awaiting their verdict at the tick:
	// a snapshot restores the ACS, not them, so only a tick without any is exported.
	Pending int
}

// ErrNoTick is returned when no tick mark fits.
var ErrNoTick = errors.New("no reconciliation tick recorded that a snapshot can be taken at")

func tickKey(tick int64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), prefTick...), uint64(tick))
}

func outcomeKey(o commitments.Outcome) []byte {
	return append(binary.BigEndian.AppendUint64(append([]byte(nil), prefOutcome...), uint64(o.End)), o.Counter...)
}

// applySnapshotRecords writes the tick mark and commitment outcomes of a step.
func applySnapshotRecords(txn *badger.Txn, st Step) error {
	if st.Tick != nil {
		if err := setJSON(txn, tickKey(st.Tick.Tick), st.Tick); err != nil {
			return err
		}
	}
	for _, o := range st.Outcomes {
		if err := setJSON(txn, outcomeKey(o), o); err != nil {
			return err
		}
	}
	return nil
}

// TickMarks returns the tick marks recorded, oldest first.
func (s *Store) TickMarks() ([]TickMark, error) {
	var out []TickMark
	err := s.db.View(func(txn *badger.Txn) error {
		return badgerx.Each(txn, prefTick, func(k, v []byte) error {
			var m TickMark
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("tick mark %x: %w", k, err)
			}
			out = append(out, m)
			return nil
		})
	})
	return out, err
}

// SnapshotTick returns the tick mark a snapshot is taken at: tick's when tick > 0 (it
// must have no request in flight), else the latest without a request in flight; never
// one whose updates were pruned.
func (s *Store) SnapshotTick(tick int64) (TickMark, error) {
	marks, err := s.TickMarks()
	if err != nil {
		return TickMark{}, err
	}
	pruned, err := s.PrunedOffset()
	if err != nil {
		return TickMark{}, err
	}
	for _, m := range slices.Backward(marks) {
		switch {
		case tick > 0 && m.Tick != tick:
			continue
		case m.Offset+1 < pruned:
			return TickMark{}, fmt.Errorf("%w: tick %d is before the pruned offset %d", ErrNoTick, m.Tick, pruned)
		case m.Pending > 0 && tick > 0:
			return TickMark{}, fmt.Errorf("%w: %d requests were in flight at tick %d (take one without: --at latest)", ErrNoTick, m.Pending, tick)
		case m.Pending > 0:
			continue
		}
		return m, nil
	}
	if tick > 0 {
		return TickMark{}, fmt.Errorf("%w: tick %d is not a tick this participant computed", ErrNoTick, tick)
	}
	return TickMark{}, ErrNoTick
}

// ACSAt returns the active contracts as of tick mark m: the current ones with every
// update after m.Offset undone, newest first.
func (s *Store) ACSAt(m TickMark) (ledger.ContractMap, error) {
	acs := ledger.ContractMap{}
	err := s.db.View(func(txn *badger.Txn) error {
		if err := badgerx.Each(txn, prefActive, func(k, _ []byte) error {
			c, err := contract(txn, ledger.ContractID(k))
			if err != nil {
				return err
			}
			acs[c.ID] = c
			return nil
		}); err != nil {
			return err
		}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefUpdate, Reverse: true})
		defer it.Close()
		for it.Seek(updateKey(1<<62 - 1)); it.Valid(); it.Next() {
			offset := int64(binary.BigEndian.Uint64(it.Item().Key()[len(prefUpdate):]))
			if offset <= m.Offset {
				break
			}
			var rec updateRecord
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &rec) }); err != nil {
				return fmt.Errorf("update record %d: %w", offset, err)
			}
			for _, id := range rec.Created {
				delete(acs, id)
			}
			for _, id := range rec.Archived {
				c, err := contract(txn, id)
				if err != nil {
					return fmt.Errorf("contract %s archived at offset %d: %w", id, offset, err)
				}
				acs[id] = c
			}
		}
		return nil
	})
	return acs, err
}

// Outcomes returns the stored comparisons of received ACS commitments, by period end.
func (s *Store) Outcomes() ([]commitments.Outcome, error) {
	var out []commitments.Outcome
	err := s.db.View(func(txn *badger.Txn) error {
		return badgerx.Each(txn, prefOutcome, func(k, v []byte) error {
			var o commitments.Outcome
			if err := json.Unmarshal(v, &o); err != nil {
				return fmt.Errorf("commitment outcome %x: %w", k, err)
			}
			out = append(out, o)
			return nil
		})
	})
	return out, err
}

// Import is the state a database is rebuilt from with a snapshot.
type Import struct {
	Contracts []*ledger.Contract // the active contracts
	Mark      TickMark           // where they stand in this participant's stream
}

// Import writes a snapshot's contracts as the active contract set of an empty database,
// positioned at the first event after the tick: the node continues from there. The
// commitment tracker starts its periods at the tick.
func (s *Store) Import(im Import) error {
	return s.db.Update(func(txn *badger.Txn) error {
		if _, err := txn.Get(keyNext); err == nil {
			return errors.New("the database is not empty: a snapshot is imported into an empty one")
		}
		for _, c := range im.Contracts {
			if err := txn.Set(key(prefContract, string(c.ID)), ledger.EncodeContract(c)); err != nil {
				return err
			}
			if err := txn.Set(key(prefActive, string(c.ID)), nil); err != nil {
				return err
			}
		}
		if err := setJSON(txn, keyACSCommit, commitments.State{LastTick: im.Mark.Tick}); err != nil {
			return err
		}
		if err := setJSON(txn, keyLastOffset, im.Mark.Offset); err != nil {
			return err
		}
		if err := setJSON(txn, tickKey(im.Mark.Tick), im.Mark); err != nil {
			return err
		}
		// Nothing before the snapshot is here: reads before it are of pruned data.
		if err := setJSON(txn, keyPruned, im.Mark.Offset+1); err != nil {
			return err
		}
		return setJSON(txn, keyNext, im.Mark.NextCounter)
	})
}

// PrunedOffset returns the first offset whose update is still stored, as far as pruning
// goes (0 when never pruned): updates before it are gone.
func (s *Store) PrunedOffset() (int64, error) {
	var off int64
	err := s.db.View(func(txn *badger.Txn) error {
		_, err := getJSON(txn, keyPruned, &off)
		return err
	})
	return off, err
}

// Identity returns who the database belongs to (zero before Bind).
func (s *Store) Identity() (Identity, error) {
	var id Identity
	err := s.db.View(func(txn *badger.Txn) error {
		_, err := getJSON(txn, keyIdentity, &id)
		return err
	})
	return id, err
}
