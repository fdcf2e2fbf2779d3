package topology

import (
	"bytes"
	"errors"
	"slices"
)

// Serial returns the serial of the latest accepted transaction of key, a REMOVE
// included (0 when there is none): the next transaction of key must carry Serial + 1.
func (s *State) Serial(key UniqueKey) uint64 { return s.head.serial(key) }

// TxStatus is where a signed transaction stands in a State: accepted, pending as a
// stored proposal (and what that still lacks), or not there at all.
type TxStatus struct {
	// Transaction is the signed transaction asked about, as given to Status.
	Transaction *SignedTransaction
	// Applied is set when the transaction (its canonical bytes) was accepted.
	Applied bool
	// ValidFrom is the effective time of an applied transaction; zero otherwise.
	ValidFrom int64
	// Proposal is the stored proposal of the transaction (same hash) with every
	// signature merged so far; nil when applied or not stored.
	Proposal *SignedTransaction
	// Missing is what the proposal, merged with Transaction's signatures, still lacks;
	// nil when Ready or when there is no proposal.
	Missing *UnauthorizedError
	// Ready is set when the proposal's signatures merged with Transaction's now suffice:
	// submitting the transaction again applies it.
	Ready bool
}

// Visible reports whether the state shows the transaction with every signature it
// carries: applied, or stored as a proposal holding each of its signatures.
func (t TxStatus) Visible() bool {
	if t.Applied {
		return true
	}
	if t.Proposal == nil {
		return false
	}
	have := t.Proposal.SignedBy()
	for _, k := range t.Transaction.SignedBy() {
		if !slices.Contains(have, k) {
			return false
		}
	}
	return true
}

// Status locates stx in s: among the accepted transactions (by canonical bytes) or the
// proposals (by hash), and for a proposal what its signatures merged with stx's still
// lack at the head (see Preview). It does not change s.
func (s *State) Status(stx *SignedTransaction) TxStatus {
	r := TxStatus{Transaction: stx}
	if e := s.accepted(stx.Tx); e != nil {
		r.Applied, r.ValidFrom = true, e.from
		return r
	}
	p := s.proposals[stx.Tx.HashHex()]
	if p == nil {
		return r
	}
	r.Proposal = p.stx
	out, err := s.Preview(&SignedTransaction{Tx: stx.Tx, Signatures: stx.Signatures, Proposal: true})
	var ue *UnauthorizedError
	switch {
	case err == nil && out.Kind == OutcomeApplied:
		r.Ready = true
	case err == nil:
		r.Missing = out.Missing
	case errors.As(err, &ue):
		r.Missing = ue
	}
	return r
}

// accepted returns the history entry of tx (equal canonical bytes), nil when tx was not
// accepted. Only tx's unique key at tx's serial can match.
func (s *State) accepted(tx *Transaction) *entry {
	if tx.Serial() > s.head.serial(tx.Key()) {
		return nil
	}
	for _, e := range s.history {
		if e.key() == tx.Key() && e.tx().Serial() == tx.Serial() && bytes.Equal(e.tx().bytes, tx.bytes) {
			return e
		}
	}
	return nil
}

// Accepted is an accepted transaction with its validity, as Dump stores it.
type Accepted struct {
	Transaction *SignedTransaction
	SequencedAt int64
	// ValidFrom and ValidUntil bound when the mapping is in force (see SnapshotAt);
	// ValidUntil is Forever while nothing supersedes it.
	ValidFrom, ValidUntil int64
}

// History returns every accepted transaction, REMOVEs and superseded ones included, in
// the canonical order of Dump (sequencing time, unique key, serial). Unlike Dump it
// encodes nothing; the signed transactions are shared and must not be modified.
func (s *State) History() []Accepted {
	ordered := s.sortedHistory()
	out := make([]Accepted, len(ordered))
	for i, e := range ordered {
		out[i] = Accepted{Transaction: e.stx, SequencedAt: e.seq, ValidFrom: e.from, ValidUntil: e.until}
	}
	return out
}

func (s *State) sortedHistory() []*entry {
	ordered := slices.Clone(s.history)
	slices.SortFunc(ordered, compareEntries)
	return ordered
}
