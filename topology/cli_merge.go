package topology

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrDifferentTransactions is returned by Merge for signed transactions over different
// transactions.
var ErrDifferentTransactions = errors.New("signatures of different topology transactions")

// Merge returns the union of the signatures of s and o, which must carry the same
// transaction (equal hashes): what an operator does when signatures were collected on
// separate copies of one proposal. For a key in both, s's signature is kept; the result
// is a proposal when either is.
func (s *SignedTransaction) Merge(o *SignedTransaction) (*SignedTransaction, error) {
	if !bytes.Equal(s.Tx.hash, o.Tx.hash) {
		return nil, fmt.Errorf("%w: %s and %s", ErrDifferentTransactions, s.Tx, o.Tx)
	}
	return &SignedTransaction{Tx: s.Tx, Proposal: s.Proposal || o.Proposal, Signatures: mergeSignatures(s.Signatures, o.Signatures)}, nil
}
