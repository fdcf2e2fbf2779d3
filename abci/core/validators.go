package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// ValidatorUpdate is a change of CometBFT's validator set: the Ed25519 consensus key and
// its new power (0 removes the validator).
type ValidatorUpdate struct {
	PubKey []byte `json:"pub_key"`
	Power  int64  `json:"power"`
}

// tagValidators keys the validator set the application last asked CometBFT for.
const tagValidators = 'V'

// KeyValidators is the key of the current validator set.
func KeyValidators() []byte { return []byte{tagValidators} }

// InitValidators is the write that records the genesis validator set (InitChain).
func InitValidators(vs []ValidatorUpdate) Write {
	return Write{Key: KeyValidators(), Value: encodeValidators(vs)}
}

func encodeValidators(vs []ValidatorUpdate) []byte {
	vs = slices.Clone(vs)
	slices.SortFunc(vs, func(a, b ValidatorUpdate) int { return bytes.Compare(a.PubKey, b.PubKey) })
	b, _ := json.Marshal(vs) // byte slices and integers: cannot fail
	return b
}

// ReadValidators returns the validator set the application last asked CometBFT for
// (the genesis set until the owners change it), sorted by key.
func ReadValidators(r Reader) ([]ValidatorUpdate, error) {
	b, err := r.Get(KeyValidators())
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var vs []ValidatorUpdate
	if err := json.Unmarshal(b, &vs); err != nil {
		return nil, fmt.Errorf("stored validator set: %w", err)
	}
	return vs, nil
}

// updateValidators compares the ValidatorSetState in force at ts with the set last asked
// for and, when they differ, records the new set and returns the updates that turn the
// one into the other (power 0 for the validators no longer listed).
func (x *execution) updateValidators(ts int64) error {
	want, ok := x.topo.SnapshotAt(ts).ValidatorSet()
	if !ok {
		return nil
	}
	b, err := x.ov.get(KeyValidators())
	var have []ValidatorUpdate
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return err
	default:
		if err := json.Unmarshal(b, &have); err != nil {
			return fmt.Errorf("stored validator set: %w", err)
		}
	}
	power := make(map[string]int64, len(have))
	for _, v := range have {
		power[string(v.PubKey)] = v.Power
	}
	var next, updates []ValidatorUpdate
	listed := make(map[string]bool, len(want.Validators))
	for _, v := range want.Validators {
		listed[string(v.PubKeyEd25519)] = true
		next = append(next, ValidatorUpdate{PubKey: v.PubKeyEd25519, Power: v.Power})
		if p, ok := power[string(v.PubKeyEd25519)]; !ok || p != v.Power {
			updates = append(updates, ValidatorUpdate{PubKey: v.PubKeyEd25519, Power: v.Power})
		}
	}
	for _, v := range have {
		if !listed[string(v.PubKey)] {
			updates = append(updates, ValidatorUpdate{PubKey: v.PubKey, Power: 0})
		}
	}
	if len(updates) == 0 {
		return nil
	}
	slices.SortFunc(updates, func(a, b ValidatorUpdate) int { return bytes.Compare(a.PubKey, b.PubKey) })
	x.ov.set(KeyValidators(), encodeValidators(next))
	x.out.ValidatorUpdates = updates
	return nil
}
