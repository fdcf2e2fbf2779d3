package ledgerapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/dgraph-io/badger/v4"

	"github.com/cometsync/cometsync/ledger"
)

// PartiesKeyPrefix is the prefix of the badger keys holding party details (in the user
// store's database).
const PartiesKeyPrefix = "ledgerapi/parties/"

// MaxDisplayNameLength bounds a party's display name.
const MaxDisplayNameLength = 255

// PartyDetails are a party's participant-local details, kept in the user store's
// database: a display name and annotations. A party without stored details has empty
// ones.
type PartyDetails struct {
	Party       ledger.Party      `json:"party"`
	DisplayName string            `json:"displayName,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Validate checks the party, the display name's length and the annotation keys; errors
// wrap ErrInvalidPartyDetails.
func (d PartyDetails) Validate() error {
	if err := ledger.ValidateParty(d.Party); err != nil {
		return fmt.Errorf("%w: party: %w", ErrInvalidPartyDetails, err)
	}
	if len(d.DisplayName) > MaxDisplayNameLength {
		return fmt.Errorf("%w: party %s: display name of %d bytes exceeds %d", ErrInvalidPartyDetails, d.Party, len(d.DisplayName), MaxDisplayNameLength)
	}
	for k := range d.Annotations {
		if k == "" {
			return fmt.Errorf("%w: party %s: empty annotation key", ErrInvalidPartyDetails, d.Party)
		}
	}
	return nil
}

func partyKey(p ledger.Party) []byte { return []byte(PartiesKeyPrefix + string(p)) }

// PartyDetails returns the stored details of p (empty ones when none are stored).
func (s *Users) PartyDetails(p ledger.Party) (PartyDetails, error) {
	var d PartyDetails
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		d, err = getParty(txn, p)
		return err
	})
	return d, err
}

// UpdatePartyDetails changes the details of p with fn under the store's lock and stores
// the result, which must keep the party and pass Validate. The caller checks that p is
// hosted.
func (s *Users) UpdatePartyDetails(p ledger.Party, fn func(*PartyDetails)) (PartyDetails, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var d PartyDetails
	err := s.db.Update(func(txn *badger.Txn) error {
		var err error
		if d, err = getParty(txn, p); err != nil {
			return err
		}
		fn(&d)
		if d.Party != p {
			return fmt.Errorf("%w: party %s: the party cannot change (got %q)", ErrInvalidPartyDetails, p, d.Party)
		}
		if err := d.Validate(); err != nil {
			return err
		}
		b, err := json.Marshal(d)
		if err != nil {
			return err
		}
		return txn.Set(partyKey(p), b)
	})
	if err != nil {
		return PartyDetails{}, err
	}
	d.Annotations = maps.Clone(d.Annotations)
	return d, nil
}

func getParty(txn *badger.Txn, p ledger.Party) (PartyDetails, error) {
	item, err := txn.Get(partyKey(p))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return PartyDetails{Party: p}, nil
	}
	if err != nil {
		return PartyDetails{}, err
	}
	var d PartyDetails
	if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &d) }); err != nil {
		return PartyDetails{}, fmt.Errorf("ledgerapi: decode party details %s: %w", p, err)
	}
	return d, nil
}
