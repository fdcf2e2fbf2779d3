package ledgerapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// UsersKeyPrefix is the prefix of every badger key the user store reads or writes.
const UsersKeyPrefix = "ledgerapi/users/"

// Users is the participant's user store, persisted in a badger database owned by the
// caller (it only touches keys under UsersKeyPrefix, and party details under
// PartiesKeyPrefix: see PartyDetails). Each user is one key holding the
// JSON of the user and its rights (sorted), so the encoding is deterministic. It is safe
// for concurrent use.
type Users struct {
	db *badger.DB
	mu sync.Mutex // serializes read-modify-write updates
}

// userRecord is the stored form of a user.
type userRecord struct {
	User   User    `json:"user"`
	Rights []Right `json:"rights"`
}

// NewUsers returns the user store over db.
func NewUsers(db *badger.DB) (*Users, error) {
	if db == nil {
		return nil, errors.New("ledgerapi: users: nil badger database")
	}
	return &Users{db: db}, nil
}

func userKey(id string) []byte { return []byte(UsersKeyPrefix + id) }

// Create stores a new user with rights. It fails with ErrUserExists when the id is
// taken, and with ErrInvalidUserID, ErrInvalidUser or ErrInvalidRight on bad input.
func (s *Users) Create(u User, rights ...Right) (User, error) {
	if err := u.Validate(); err != nil {
		return User{}, err
	}
	rs, err := normalizeRights(rights)
	if err != nil {
		return User{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err = s.db.Update(func(txn *badger.Txn) error {
		if _, err := txn.Get(userKey(u.ID)); err == nil {
			return fmt.Errorf("%w: %s", ErrUserExists, u.ID)
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		return put(txn, userRecord{User: u, Rights: rs})
	})
	if err != nil {
		return User{}, err
	}
	return u.clone(), nil
}

// Get returns the user with id, or an error wrapping ErrUserNotFound.
func (s *Users) Get(id string) (User, error) {
	rec, err := s.load(id)
	return rec.User, err
}

// Rights returns the rights of user id, sorted by kind then party.
func (s *Users) Rights(id string) ([]Right, error) {
	rec, err := s.load(id)
	return rec.Rights, err
}

// List returns every user, sorted by id.
func (s *Users) List() ([]User, error) {
	var out []User
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(UsersKeyPrefix), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			rec, err := decodeItem(it.Item())
			if err != nil {
				return err
			}
			out = append(out, rec.User)
		}
		return nil
	})
	return out, err
}

// ListAfter returns up to limit users with ids after after (from the first when empty),
// sorted by id.
func (s *Users) ListAfter(after string, limit int) ([]User, error) {
	var out []User
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(UsersKeyPrefix), PrefetchValues: true})
		defer it.Close()
		start := []byte(UsersKeyPrefix)
		if after != "" {
			start = append(userKey(after), 0)
		}
		for it.Seek(start); it.Valid() && len(out) < limit; it.Next() {
			rec, err := decodeItem(it.Item())
			if err != nil {
				return err
			}
			out = append(out, rec.User)
		}
		return nil
	})
	return out, err
}

// Update changes user id with fn under the store's lock and stores the result, which
// must keep the id and pass Validate. It returns the updated user, an error wrapping
// ErrUserNotFound, or fn's error.
func (s *Users) Update(id string, fn func(*User) error) (User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var u User
	err := s.db.Update(func(txn *badger.Txn) error {
		rec, err := get(txn, id)
		if err != nil {
			return err
		}
		if err := fn(&rec.User); err != nil {
			return err
		}
		if rec.User.ID != id {
			return fmt.Errorf("%w: user %s: the id cannot change (got %q)", ErrInvalidUser, id, rec.User.ID)
		}
		if err := rec.User.Validate(); err != nil {
			return err
		}
		u = rec.User.clone()
		return put(txn, rec)
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// Delete removes user id, or fails with ErrUserNotFound.
func (s *Users) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.Update(func(txn *badger.Txn) error {
		if _, err := get(txn, id); err != nil {
			return err
		}
		return txn.Delete(userKey(id))
	})
}

// Grant adds rights to user id and returns those it did not have before (sorted).
func (s *Users) Grant(id string, rights ...Right) ([]Right, error) {
	return s.modifyRights(id, rights, true)
}

// Revoke removes rights from user id and returns those it actually had (sorted).
func (s *Users) Revoke(id string, rights ...Right) ([]Right, error) {
	return s.modifyRights(id, rights, false)
}

// modifyRights adds (grant) or removes rights and returns the ones that changed.
func (s *Users) modifyRights(id string, rights []Right, grant bool) ([]Right, error) {
	rs, err := normalizeRights(rights)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var changed []Right
	err = s.db.Update(func(txn *badger.Txn) error {
		rec, err := get(txn, id)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if containsRight(rec.Rights, r) != grant {
				changed = append(changed, r)
			}
		}
		if len(changed) == 0 {
			return nil
		}
		if grant {
			rec.Rights, _ = normalizeRights(append(rec.Rights, changed...))
		} else {
			rec.Rights = slices.DeleteFunc(rec.Rights, func(r Right) bool { return containsRight(changed, r) })
		}
		return put(txn, rec)
	})
	if err != nil {
		return nil, err
	}
	return changed, nil
}

func containsRight(rs []Right, r Right) bool {
	_, ok := slices.BinarySearchFunc(rs, r, compareRights)
	return ok
}

func (s *Users) load(id string) (userRecord, error) {
	var rec userRecord
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		rec, err = get(txn, id)
		return err
	})
	return rec, err
}

func get(txn *badger.Txn, id string) (userRecord, error) {
	item, err := txn.Get(userKey(id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return userRecord{}, fmt.Errorf("%w: %s", ErrUserNotFound, id)
	}
	if err != nil {
		return userRecord{}, err
	}
	return decodeItem(item)
}

func decodeItem(item *badger.Item) (userRecord, error) {
	var rec userRecord
	err := item.Value(func(v []byte) error { return json.Unmarshal(v, &rec) })
	if err != nil {
		return userRecord{}, fmt.Errorf("ledgerapi: decode user %s: %w", item.Key(), err)
	}
	return rec, nil
}

func put(txn *badger.Txn, rec userRecord) error {
	if rec.Rights == nil {
		rec.Rights = []Right{}
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return txn.Set(userKey(rec.User.ID), b)
}
