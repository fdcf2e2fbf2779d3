// Package store is the participant's badger database: every contract it has seen, its
// active contract set, its update log by offset, the engine checkpoint (requests awaiting
// a verdict) and the outbox, all as of the last event of its stream it applied.
//
// Each event is applied in one badger transaction, so the database always holds the
// state after some prefix of the stream; a node that restarts continues from the next
// event. The chain stays the golden source: an empty database is rebuilt by replaying
// the stream from counter 0 (see participant.Start and `cometsync participant recover`).
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/dgraph-io/badger/v4"

	"github.com/cometsync/cometsync/internal/badgerx"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant/commitments"
	"github.com/cometsync/cometsync/participant/engine"
	"github.com/cometsync/cometsync/protocol"
)

// Key prefixes. Other packages keep their own prefixes in the same database (the Ledger
// API's users live under "ledgerapi/").
var (
	keyIdentity   = []byte("participant/identity")
	keyNext       = []byte("participant/next-counter")
	keyACSCommit  = []byte("participant/acs-commitments")
	keyLastOffset = []byte("participant/last-offset")
	prefPending   = []byte("participant/pending/")
	prefContract  = []byte("participant/contract/")
	prefSeed      = []byte("participant/contract-seed/") // id -> creating seed
	prefActive    = []byte("participant/active/")
	prefUpdate    = []byte("participant/update/")
	prefUpdateBy  = []byte("participant/update-root/") // root hash -> offset
	prefOutbox    = []byte("participant/outbox/")
	prefRoot      = []byte("participant/root/")
	prefChange    = []byte("participant/change/")
	prefCompleted = []byte("participant/completion/")
	keyCompleted  = []byte("participant/completion-end")
)

// ErrWrongParticipant is returned by Bind when the database belongs to another
// participant or synchronizer.
var ErrWrongParticipant = errors.New("database belongs to another participant")

// Store is a participant's database.
type Store struct {
	db *badger.DB
}

// RecoverHint is what to do with a damaged participant database: the participant's
// whole state is rebuilt by replaying its stream from the chain.
const RecoverHint = "rebuild it by replay: stop the participant and run cometsync participant recover --home HOME --wipe (see docs/recovering-from-the-chain.md)"

// Open opens the database in dir (in memory when dir is empty). A damaged database
// (badgerx.Check) is refused with an error matching badgerx.ErrCorrupt that says to
// rebuild it (RecoverHint).
func Open(dir string, logger *slog.Logger) (*Store, error) {
	db, err := badgerx.Open(dir, logger)
	if err != nil {
		return nil, badgerx.Damaged("participant database", RecoverHint, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// DB returns the badger database, for components that keep their own keys in it.
func (s *Store) DB() *badger.DB { return s.db }

// Identity is who a database belongs to.
type Identity struct {
	Participant    string
	SynchronizerID string
}

// Bind records id on an empty database, or checks that the database holds id.
func (s *Store) Bind(id Identity) error {
	return s.db.Update(func(txn *badger.Txn) error {
		var have Identity
		found, err := getJSON(txn, keyIdentity, &have)
		if err != nil {
			return err
		}
		if !found {
			return setJSON(txn, keyIdentity, id)
		}
		if have != id {
			return fmt.Errorf("%w: it holds %s on %s, not %s on %s", ErrWrongParticipant,
				have.Participant, have.SynchronizerID, id.Participant, id.SynchronizerID)
		}
		return nil
	})
}

// State is what a node restarts from.
type State struct {
	NextCounter int64 // the first event not applied yet
	ACS         ledger.ContractMap
	Engine      engine.Checkpoint
	Outbox      map[string]engine.Send
	Changes     map[string]Change // command records by change id
	// CompletionEnd is the offset of the last command completion (0 when none).
	CompletionEnd int64
	// Commitments is the ACS commitment tracker's state (own periods, pending received).
	Commitments commitments.State
}

// Load reads the state; on an empty database it is the state before counter 0.
func (s *Store) Load() (State, error) {
	st := State{ACS: ledger.ContractMap{}, Outbox: map[string]engine.Send{}, Changes: map[string]Change{}}
	err := s.db.View(func(txn *badger.Txn) error {
		if _, err := getJSON(txn, keyACSCommit, &st.Commitments); err != nil {
			return err
		}
		if _, err := getJSON(txn, keyNext, &st.NextCounter); err != nil {
			return err
		}
		if _, err := getJSON(txn, keyLastOffset, &st.Engine.LastOffset); err != nil {
			return err
		}
		if _, err := getJSON(txn, keyCompleted, &st.CompletionEnd); err != nil {
			return err
		}
		if err := badgerx.Each(txn, prefPending, func(k, v []byte) error {
			var pr engine.PendingRequest
			if err := json.Unmarshal(v, &pr); err != nil {
				return fmt.Errorf("pending request %x: %w", k, err)
			}
			st.Engine.Pending = append(st.Engine.Pending, pr)
			return nil
		}); err != nil {
			return err
		}
		if err := badgerx.Each(txn, prefActive, func(k, _ []byte) error {
			c, err := contract(txn, ledger.ContractID(k))
			if err != nil {
				return err
			}
			st.ACS[c.ID] = c
			return nil
		}); err != nil {
			return err
		}
		if err := badgerx.Each(txn, prefRoot, func(k, v []byte) error {
			var sr engine.SeenRoot
			if len(k) != len(sr.RootHash) {
				return fmt.Errorf("root hash record %x: key of %d bytes", k, len(k))
			}
			copy(sr.RootHash[:], k)
			if err := json.Unmarshal(v, &sr.RequestID); err != nil {
				return fmt.Errorf("root hash record %x: %w", k, err)
			}
			st.Engine.Roots = append(st.Engine.Roots, sr)
			return nil
		}); err != nil {
			return err
		}
		if err := badgerx.Each(txn, prefChange, func(k, v []byte) error {
			var c Change
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("command record %s: %w", k, err)
			}
			st.Changes[string(k)] = c
			return nil
		}); err != nil {
			return err
		}
		return badgerx.Each(txn, prefOutbox, func(k, v []byte) error {
			var snd engine.Send
			if err := json.Unmarshal(v, &snd); err != nil {
				return fmt.Errorf("outbox entry %s: %w", k, err)
			}
			st.Outbox[string(k)] = snd
			return nil
		})
	})
	return st, err
}

// Step is what applying one event changed.
type Step struct {
	Counter        int64
	Updates        []engine.Update
	PendingAdded   []engine.PendingRequest
	PendingRemoved []int64
	OutboxAdd      []engine.Send
	OutboxDel      []string
	RootsAdded     []engine.SeenRoot
	// Changes are the command records (deduplication) this event changed.
	Changes []Change
	// Completions are the command completions this event decided, with consecutive
	// offsets after the last stored one.
	Completions []CommandCompletion
	// Commitments, when set, is the ACS commitment tracker's new state.
	Commitments *commitments.State
	// Tick, when set, marks a reconciliation tick before this event (snapshots).
	Tick *TickMark
	// Outcomes are the comparisons of received ACS commitments this event made (pruning).
	Outcomes []commitments.Outcome
}

// CommandCompletion is the outcome of a command submitted here with a command id, at its
// completion offset (1, 2, 3, ... in the order the outcomes were decided).
type CommandCompletion struct {
	Offset       int64
	UserID       string
	CommandID    string
	ActAs        []string
	RequestID    int64
	Committed    bool
	TimedOut     bool
	Reason       string
	UpdateOffset int64 // of the committed update
}

// Change is what a participant knows of one command's change id (user, actAs parties,
// command id), derived from its own stream: every attempt's receipt and the verdict on
// the last sequenced one.
type Change struct {
	ID        string
	Attempts  int   // attempts whose receipt (or error) is on the stream
	RequestID int64 // of the last sequenced attempt
	Done      bool  // the last attempt has an outcome
	Committed bool
	Offset    int64
	Reason    string
}

// Apply writes one event's changes atomically.
func (s *Store) Apply(st Step) error {
	return s.db.Update(func(txn *badger.Txn) error {
		for _, u := range st.Updates {
			rec := updateRecord{RequestID: u.RequestID, RootHash: u.RootHash, Archived: u.Archived}
			for _, c := range u.Created {
				rec.Created = append(rec.Created, c.ID)
				if err := txn.Set(key(prefContract, string(c.ID)), ledger.EncodeContract(c)); err != nil {
					return err
				}
				if seed, ok := u.Seeds[c.ID]; ok {
					if err := txn.Set(key(prefSeed, string(c.ID)), seed[:]); err != nil {
						return err
					}
				}
				if err := txn.Set(key(prefActive, string(c.ID)), nil); err != nil {
					return err
				}
			}
			for _, id := range u.Archived {
				if err := txn.Delete(key(prefActive, string(id))); err != nil {
					return err
				}
			}
			if err := setJSON(txn, updateKey(u.Offset), rec); err != nil {
				return err
			}
			if err := setJSON(txn, key(prefUpdateBy, string(u.RootHash[:])), u.Offset); err != nil {
				return err
			}
		}
		for _, snd := range st.OutboxAdd {
			if err := setJSON(txn, key(prefOutbox, snd.MessageID), snd); err != nil {
				return err
			}
		}
		for _, id := range st.OutboxDel {
			if err := txn.Delete(key(prefOutbox, id)); err != nil {
				return err
			}
		}
		for _, c := range st.Completions {
			if err := setJSON(txn, completionKey(c.Offset), c); err != nil {
				return err
			}
		}
		if n := len(st.Completions); n > 0 {
			if err := setJSON(txn, keyCompleted, st.Completions[n-1].Offset); err != nil {
				return err
			}
		}
		for _, c := range st.Changes {
			if err := setJSON(txn, key(prefChange, c.ID), c); err != nil {
				return err
			}
		}
		for _, r := range st.RootsAdded {
			if err := setJSON(txn, key(prefRoot, string(r.RootHash[:])), r.RequestID); err != nil {
				return err
			}
		}
		for _, pr := range st.PendingAdded {
			if err := setJSON(txn, pendingKey(pr.RequestID), pr); err != nil {
				return err
			}
		}
		for _, id := range st.PendingRemoved {
			if err := txn.Delete(pendingKey(id)); err != nil {
				return err
			}
		}
		if n := len(st.Updates); n > 0 {
			if err := setJSON(txn, keyLastOffset, st.Updates[n-1].Offset); err != nil {
				return err
			}
		}
		if st.Commitments != nil {
			if err := setJSON(txn, keyACSCommit, st.Commitments); err != nil {
				return err
			}
		}
		if err := applySnapshotRecords(txn, st); err != nil {
			return err
		}
		return setJSON(txn, keyNext, st.Counter+1)
	})
}

// updateRecord is an update as stored: the created contracts are stored once each.
type updateRecord struct {
	RequestID int64
	RootHash  protocol.Hash
	Created   []ledger.ContractID
	Archived  []ledger.ContractID
}

// Updates returns up to limit updates from offset from on.
func (s *Store) Updates(from int64, limit int) ([]engine.Update, error) {
	var out []engine.Update
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefUpdate})
		defer it.Close()
		for it.Seek(updateKey(max(from, 0))); it.Valid() && len(out) < limit; it.Next() {
			u, err := decodeUpdate(txn, it.Item())
			if err != nil {
				return err
			}
			out = append(out, u)
		}
		return nil
	})
	return out, err
}

// UpdateByRoot returns the update whose transaction has root hash root; false when none
// committed here. Updates are indexed by root hash from this version on: one stored by
// an older version is not found.
func (s *Store) UpdateByRoot(root protocol.Hash) (engine.Update, bool, error) {
	var u engine.Update
	var found bool
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key(prefUpdateBy, string(root[:])))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		var offset int64
		if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &offset) }); err != nil {
			return fmt.Errorf("update root index %x: %w", root, err)
		}
		if item, err = txn.Get(updateKey(offset)); err != nil {
			return fmt.Errorf("update root index %x: offset %d: %w", root, offset, err)
		}
		u, err = decodeUpdate(txn, item)
		found = err == nil
		return err
	})
	return u, found, err
}

// decodeUpdate reads the update record item, with its created contracts.
func decodeUpdate(txn *badger.Txn, item *badger.Item) (engine.Update, error) {
	var rec updateRecord
	if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &rec) }); err != nil {
		return engine.Update{}, fmt.Errorf("update record: %w", err)
	}
	u := engine.Update{Offset: int64(binary.BigEndian.Uint64(item.Key()[len(prefUpdate):])),
		RequestID: rec.RequestID, RootHash: rec.RootHash, Archived: rec.Archived}
	for _, id := range rec.Created {
		c, err := contract(txn, id)
		if err != nil {
			return engine.Update{}, err
		}
		u.Created = append(u.Created, c)
	}
	return u, nil
}

// Completions returns up to limit command completions from offset from on.
func (s *Store) Completions(from int64, limit int) ([]CommandCompletion, error) {
	var out []CommandCompletion
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefCompleted})
		defer it.Close()
		for it.Seek(completionKey(max(from, 0))); it.Valid() && len(out) < limit; it.Next() {
			var c CommandCompletion
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &c) }); err != nil {
				return fmt.Errorf("completion record: %w", err)
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

func completionKey(offset int64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), prefCompleted...), uint64(offset))
}

// Contract returns a contract this participant has seen created, active or not.
func (s *Store) Contract(id ledger.ContractID) (*ledger.Contract, bool, error) {
	var c *ledger.Contract
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		c, err = contract(txn, id)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	return c, err == nil, err
}

// CreationSeed returns the seed of the node that created a contract this participant
// has seen created (its authenticity proof); false when unknown (a contract stored
// before seeds were kept: `participant recover` rebuilds them).
func (s *Store) CreationSeed(id ledger.ContractID) (ledger.Seed, bool, error) {
	var seed ledger.Seed
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key(prefSeed, string(id)))
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			if len(v) != len(seed) {
				return fmt.Errorf("seed of contract %s: %d bytes", id, len(v))
			}
			copy(seed[:], v)
			return nil
		})
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return ledger.Seed{}, false, nil
	}
	return seed, err == nil, err
}

func contract(txn *badger.Txn, id ledger.ContractID) (*ledger.Contract, error) {
	item, err := txn.Get(key(prefContract, string(id)))
	if err != nil {
		return nil, err
	}
	var c *ledger.Contract
	err = item.Value(func(v []byte) error {
		var err error
		c, err = ledger.DecodeContract(v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("contract %s: %w", id, err)
	}
	return c, nil
}

func key(prefix []byte, id string) []byte { return append(append([]byte(nil), prefix...), id...) }

func pendingKey(id int64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), prefPending...), uint64(id))
}

func updateKey(offset int64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), prefUpdate...), uint64(offset))
}

func getJSON(txn *badger.Txn, k []byte, v any) (bool, error) {
	item, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
}

func setJSON(txn *badger.Txn, k []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.Set(k, b)
}
