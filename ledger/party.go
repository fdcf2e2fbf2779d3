package ledger

import (
	"fmt"
	"slices"
	"unicode"
)

// MaxPartyLength bounds the length in bytes of a party identifier.
const MaxPartyLength = 255

// Party identifies a party, usually name::namespace. The ledger model treats it as an
// opaque string; ValidateParty rejects empty, overlong or non-printable identifiers.
type Party string

// ValidateParty checks that p is a well-formed party identifier.
func ValidateParty(p Party) error {
	if p == "" {
		return fmt.Errorf("%w: empty party", ErrTypeMismatch)
	}
	if len(p) > MaxPartyLength {
		return fmt.Errorf("%w: party of %d bytes exceeds %d", ErrTypeMismatch, len(p), MaxPartyLength)
	}
	for _, r := range string(p) {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return fmt.Errorf("%w: party %q: character %q not allowed", ErrTypeMismatch, p, r)
		}
	}
	return nil
}

// PartySet is a sorted list of distinct parties. All party sets in transactions and
// contracts are PartySets so that their encoding is canonical.
type PartySet []Party

// NewPartySet returns the sorted, deduplicated set of ps.
func NewPartySet(ps ...Party) PartySet {
	out := slices.Clone(ps)
	slices.Sort(out)
	return PartySet(slices.Compact(out))
}

// Contains reports whether p is in s.
func (s PartySet) Contains(p Party) bool {
	_, ok := slices.BinarySearch(s, p)
	return ok
}

// Union returns s ∪ o.
func (s PartySet) Union(o PartySet) PartySet {
	return NewPartySet(append(slices.Clone(s), o...)...)
}

// Minus returns the parties of s that are not in o.
func (s PartySet) Minus(o PartySet) PartySet {
	var out PartySet
	for _, p := range s {
		if !o.Contains(p) {
			out = append(out, p)
		}
	}
	return out
}

// Intersect returns s ∩ o.
func (s PartySet) Intersect(o PartySet) PartySet {
	var out PartySet
	for _, p := range s {
		if o.Contains(p) {
			out = append(out, p)
		}
	}
	return out
}

// isCanonical reports whether s is strictly sorted.
func (s PartySet) isCanonical() bool {
	for i := 1; i < len(s); i++ {
		if s[i-1] >= s[i] {
			return false
		}
	}
	return true
}
