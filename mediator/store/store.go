package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"

	"github.com/dgraph-io/badger/v4"

	"github.com/cometsync/cometsync/internal/badgerx"
	"github.com/cometsync/cometsync/mediator"
	"github.com/cometsync/cometsync/member"
	pb "github.com/cometsync/cometsync/proto/mediatorpb"
)

// Key layout. Every key is under "mediator/".
var (
	prefAll       = []byte("mediator/")
	keyIdentity   = []byte("mediator/identity")
	keyNext       = []byte("mediator/next-counter") // 8 bytes, big-endian
	keyMeta       = []byte("mediator/meta")         // JSON mediator.Meta
	keyRecordNext = []byte("mediator/record-next")  // 8 bytes, big-endian
	prefRequest   = []byte("mediator/request/")     // + ordered id -> JSON mediator.RequestState
	prefOutbox    = []byte("mediator/outbox/")      // + message id -> JSON storedVerdict
	prefRecord    = []byte("mediator/record/")      // + 8-byte index -> pb.Record bytes
)

// Errors callers branch on.
var (
	// ErrWrongMediator: Bind found the database bound to another mediator or synchronizer.
	ErrWrongMediator = errors.New("database belongs to another mediator")
	// ErrCounterRegression: Commit was given a counter not above the last committed one.
	ErrCounterRegression = errors.New("counter not above the last committed one")
	// ErrCorrupt: a stored value does not decode.
	ErrCorrupt = errors.New("corrupt mediator database")
)

// Store is a mediator's database. It is safe for concurrent use; Commit is meant to be
// called by one goroutine at a time (the member runtime, under its lock).
type Store struct {
	db *badger.DB
}

var _ member.Store[Verdict, Change] = (*Store)(nil)

// RecoverHint is what to do with a damaged mediator database: the mediator's state is
// rebuilt by replaying its stream from the chain.
const RecoverHint = "rebuild it by replay: stop the mediator and run cometsync mediator recover --home HOME --wipe (see docs/recovering-from-the-chain.md)"

// Open opens (creating if needed) the database in dir, in memory when dir is empty. A
// damaged database (badgerx.Check) is refused with an error matching badgerx.ErrCorrupt
// that says to rebuild it (RecoverHint).
func Open(dir string, logger *slog.Logger) (*Store, error) {
	db, err := badgerx.Open(dir, logger)
	if err != nil {
		return nil, badgerx.Damaged("mediator database", RecoverHint, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Identity is who a database belongs to.
type Identity struct {
	Mediator       string
	SynchronizerID string
}

// Bind records id in a database that has none, or checks that the database holds id; it
// fails with ErrWrongMediator naming both identities otherwise.
func (s *Store) Bind(id Identity) error {
	return s.db.Update(func(txn *badger.Txn) error {
		var have Identity
		found, err := getJSON(txn, keyIdentity, &have)
		switch {
		case err != nil:
			return err
		case !found:
			return setJSON(txn, keyIdentity, id)
		case have != id:
			return fmt.Errorf("%w: it holds mediator %q on synchronizer %q, not mediator %q on synchronizer %q",
				ErrWrongMediator, have.Mediator, have.SynchronizerID, id.Mediator, id.SynchronizerID)
		}
		return nil
	})
}

// Empty reports whether the database holds nothing: no identity and no committed step.
func (s *Store) Empty() (bool, error) {
	empty := true
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefAll})
		defer it.Close()
		it.Rewind()
		empty = !it.Valid()
		return nil
	})
	return empty, err
}

// Verdict is an outbox message: a verdict of the core and its signed form
// (a marshalled mediatorpb.SignedTransactionResult), not sealed yet (sealing is
// randomized and done at each send).
type Verdict struct {
	Result mediator.Result
	Signed []byte
}

// Change is the mediator's own state change committed with an event: the core's Meta,
// its request changes (mediator.Ready's Changed and Forgotten) and the audit records.
// Meta replaces the stored one at every commit: set it to the core's Meta after the
// event even when nothing else changed (ChangeOf does).
type Change struct {
	Meta      mediator.Meta
	Changed   []mediator.RequestState
	Forgotten []int64
	Records   []*pb.Record
}

// ChangeOf is the Change of the core's Ready rd, with the core's Meta after it.
func ChangeOf(meta mediator.Meta, rd mediator.Ready) Change {
	return Change{Meta: meta, Changed: rd.Changed, Forgotten: rd.Forgotten, Records: rd.Records}
}

// State is what a mediator restarts from.
type State struct {
	// Next is the first counter of the stream not applied yet.
	Next int64
	// Outbox holds the verdicts without a receipt, sorted by message id.
	Outbox []member.Message[Verdict]
	// Core is the core's checkpoint, for mediator.Restore.
	Core mediator.Checkpoint
}

// Position is the runtime's starting position.
func (st State) Position() member.Position[Verdict] {
	return member.Position[Verdict]{Next: st.Next, Outbox: st.Outbox}
}

// Load reads the state; on an empty database it is the state before counter 0 (Next 0,
// the checkpoint of a new core, no outbox).
func (s *Store) Load() (State, error) {
	var st State
	err := s.db.View(func(txn *badger.Txn) error {
		next, err := getUint(txn, keyNext)
		if err != nil {
			return err
		}
		st.Next = int64(next)
		if _, err := getJSON(txn, keyMeta, &st.Core.Meta); err != nil {
			return err
		}
		if st.Core.Requests, err = loadRequests(txn); err != nil {
			return err
		}
		st.Outbox, err = loadOutbox(txn)
		return err
	})
	if err != nil {
		return State{}, err
	}
	return st, nil
}

func loadRequests(txn *badger.Txn) ([]mediator.RequestState, error) {
	var out []mediator.RequestState
	err := badgerx.Each(txn, prefRequest, func(k, v []byte) error {
		if len(k) != 8 {
			return corrupt(prefRequest, k, fmt.Errorf("key of %d bytes", len(k)))
		}
		var rs mediator.RequestState
		if err := unmarshalJSON(v, &rs); err != nil {
			return corrupt(prefRequest, k, err)
		}
		if id := requestID(k); rs.ID != id {
			return corrupt(prefRequest, k, fmt.Errorf("request %d stored under id %d", rs.ID, id))
		}
		out = append(out, rs)
		return nil
	})
	return out, err
}

func loadOutbox(txn *badger.Txn) ([]member.Message[Verdict], error) {
	var out []member.Message[Verdict]
	err := badgerx.Each(txn, prefOutbox, func(k, v []byte) error {
		vd, err := decodeVerdict(v)
		if err != nil {
			return corrupt(prefOutbox, k, err)
		}
		out = append(out, member.Message[Verdict]{ID: string(k), Msg: vd})
		return nil
	})
	return out, err
}

// Commit writes one applied event atomically (see the package documentation). It fails,
// writing nothing, when st.Counter is negative or not above the last committed counter
// (ErrCounterRegression), or when a message or record cannot be encoded.
func (s *Store) Commit(st member.Step[Verdict, Change]) error {
	return s.db.Update(func(txn *badger.Txn) error {
		next, err := getUint(txn, keyNext)
		if err != nil {
			return err
		}
		if st.Counter < 0 || uint64(st.Counter) < next {
			return fmt.Errorf("%w: counter %d, the next is %d", ErrCounterRegression, st.Counter, next)
		}
		if err := commitOutbox(txn, st.OutboxAdd, st.OutboxDel); err != nil {
			return err
		}
		if err := commitChange(txn, st.State); err != nil {
			return err
		}
		return txn.Set(keyNext, binary.BigEndian.AppendUint64(nil, uint64(st.Counter)+1))
	})
}

func commitOutbox(txn *badger.Txn, add []member.Message[Verdict], del []string) error {
	for _, id := range del {
		if err := txn.Delete(key(prefOutbox, id)); err != nil {
			return err
		}
	}
	for _, m := range add {
		v, err := encodeVerdict(m.Msg)
		if err != nil {
			return fmt.Errorf("outbox message %s: %w", m.ID, err)
		}
		if err := txn.Set(key(prefOutbox, m.ID), v); err != nil {
			return err
		}
	}
	return nil
}

func commitChange(txn *badger.Txn, c Change) error {
	if err := setJSON(txn, keyMeta, c.Meta); err != nil {
		return err
	}
	for _, id := range c.Forgotten {
		if err := txn.Delete(requestKey(id)); err != nil {
			return err
		}
	}
	for _, rs := range c.Changed {
		if err := setJSON(txn, requestKey(rs.ID), rs); err != nil {
			return err
		}
	}
	return appendRecords(txn, c.Records)
}
