package topology

import "github.com/cometsync/cometsync/crypto"

// OutcomeKind says what State.Apply did with a transaction.
type OutcomeKind int

// Outcome kinds.
const (
	// OutcomeApplied: the transaction is authorized and now part of the state.
	OutcomeApplied OutcomeKind = iota + 1
	// OutcomeProposed: not yet authorized; stored as a new proposal.
	OutcomeProposed
	// OutcomeMerged: not yet authorized; its signatures were merged into the stored
	// proposal with the same hash.
	OutcomeMerged
)

func (k OutcomeKind) String() string {
	switch k {
	case OutcomeApplied:
		return "applied"
	case OutcomeProposed:
		return "proposed"
	case OutcomeMerged:
		return "merged"
	}
	return "unknown"
}

// Outcome reports the effect of State.Apply.
type Outcome struct {
	Kind OutcomeKind
	// Transaction is the transaction as stored: with every signature collected so far
	// (merged with an earlier proposal). Broadcast this one.
	Transaction *SignedTransaction
	// Added are the signatures this call contributed that were not stored before.
	Added []crypto.Fingerprint
	// FromProposal is set when an applied transaction completed a stored proposal.
	FromProposal bool
	// ValidFrom is the effective time of an applied transaction (after clamping to the
	// previous effective time); zero otherwise.
	ValidFrom int64
	// Missing is what a proposal still lacks; nil when applied.
	Missing *UnauthorizedError
}
