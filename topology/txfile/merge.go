package txfile

import (
	"fmt"

	"github.com/cometsync/cometsync/topology"
)

// ErrEmpty is returned by ReadFiles when the files hold no transaction.
var ErrEmpty = fmt.Errorf("no topology transactions")

// ReadFiles reads every file and merges the signatures of equal transactions (same
// hash), keeping the order of first appearance: signatures collected on separate copies
// of one proposal come together. Errors name the file; with no transaction at all it
// returns an error wrapping ErrEmpty.
func ReadFiles(paths []string) ([]*topology.SignedTransaction, error) {
	var out []*topology.SignedTransaction
	for _, p := range paths {
		stxs, err := ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for _, s := range stxs {
			if out, err = Merge(out, s); err != nil {
				return nil, err
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w in %v", ErrEmpty, paths)
	}
	return out, nil
}

// Merge adds s to list: merged into the transaction of list with the same hash (see
// topology.SignedTransaction.Merge), else appended. It may modify list in place.
func Merge(list []*topology.SignedTransaction, s *topology.SignedTransaction) ([]*topology.SignedTransaction, error) {
	for i, x := range list {
		if x.Tx.HashHex() == s.Tx.HashHex() {
			m, err := x.Merge(s)
			if err != nil {
				return list, err
			}
			list[i] = m
			return list, nil
		}
	}
	return append(list, s), nil
}
