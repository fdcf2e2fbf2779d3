package topology

import (
	"slices"
	"strings"
)

// proposal is a transaction whose signatures do not authorize it yet.
type proposal struct {
	stx *SignedTransaction // Proposal set, signatures merged
	seq int64              // sequencing time of the first signature
}

// propose stores stx as a new proposal or merges its signatures into prior.
func (s *State) propose(stx *SignedTransaction, prior *proposal, sigs []Signature, sequencedAt int64, missing *UnauthorizedError) Outcome {
	add := added(prior, stx)
	kind := OutcomeMerged
	if prior == nil {
		prior = &proposal{seq: sequencedAt}
		s.proposals[stx.Tx.HashHex()] = prior
		kind = OutcomeProposed
	} else if len(add) == 0 {
		return Outcome{Kind: kind, Transaction: prior.stx, Missing: missing}
	}
	prior.stx = &SignedTransaction{Tx: stx.Tx, Signatures: sigs, Proposal: true}
	s.lastSequenced = sequencedAt
	return Outcome{Kind: kind, Transaction: prior.stx, Added: add, Missing: missing}
}

// dropProposals forgets the proposals for key with a serial at most serial: they can
// never apply any more.
func (s *State) dropProposals(key UniqueKey, serial uint64) {
	for h, p := range s.proposals {
		if p.stx.Tx.Key() == key && p.stx.Tx.Serial() <= serial {
			delete(s.proposals, h)
		}
	}
}

// Proposals returns the pending proposals ordered by transaction hash.
func (s *State) Proposals() []*SignedTransaction {
	out := make([]*SignedTransaction, 0, len(s.proposals))
	for _, p := range s.proposals {
		out = append(out, p.stx)
	}
	slices.SortFunc(out, func(a, b *SignedTransaction) int { return strings.Compare(a.Tx.HashHex(), b.Tx.HashHex()) })
	return out
}
