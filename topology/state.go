package topology

import (
	"fmt"
	"slices"
	"sync"

	"github.com/cometsync/cometsync/crypto"
)

// State is the topology state of one synchronizer: every accepted transaction with its
// validity interval, the head (latest transaction per unique key) and the pending
// proposals. It is a deterministic state machine and not safe for concurrent use;
// snapshots it hands out are immutable and may be shared.
type State struct {
	synchronizer  crypto.UID
	history       []*entry
	head          *head
	proposals     map[string]*proposal // by transaction hash (hex)
	lastSequenced int64
	lastEffective int64

	snapMu sync.Mutex
	snap   *cachedSnapshot // the last snapshot built, reused while its entries are in force
	// lastSnap is the last snapshot returned, for time lastAt with lastLen transactions
	// in the history.
	lastSnap *Snapshot
	lastAt   int64
	lastLen  int
}

// NewState returns the empty topology state of a synchronizer. Synchronizer-level
// mappings for other synchronizers are rejected.
func NewState(synchronizer crypto.UID) *State {
	return &State{synchronizer: synchronizer, head: newHead(), proposals: make(map[string]*proposal)}
}

// Synchronizer returns the synchronizer the state belongs to.
func (s *State) Synchronizer() crypto.UID { return s.synchronizer }

// Len returns the number of accepted transactions (including removals).
func (s *State) Len() int { return len(s.history) }

// ApplyBytes decodes a SignedTopologyTransaction and applies it.
func (s *State) ApplyBytes(b []byte, sequencedAt, effectiveAt int64) (Outcome, error) {
	stx, err := DecodeSignedTransaction(b)
	if err != nil {
		return Outcome{}, err
	}
	return s.Apply(stx, sequencedAt, effectiveAt)
}

// Apply validates stx against the head and applies it at sequencing time sequencedAt
// (non-decreasing across calls) with effect from effectiveAt (>= sequencedAt; raised to
// the previous effective time if lower). An authorized transaction is applied; an
// unauthorized one with proposal set (or matching a stored proposal) and signed by some
// required party is stored or merged as a proposal; a proposal whose merged signatures
// suffice is applied. On error the state is unchanged. Errors wrap the package's
// sentinels.
func (s *State) Apply(stx *SignedTransaction, sequencedAt, effectiveAt int64) (Outcome, error) {
	if err := s.checkTimes(sequencedAt, effectiveAt); err != nil {
		return Outcome{}, err
	}
	req, err := s.check(stx)
	if err != nil {
		return Outcome{}, err
	}
	prior := s.proposals[stx.Tx.HashHex()]
	sigs := stx.Signatures
	if prior != nil {
		sigs = mergeSignatures(prior.stx.Signatures, stx.Signatures)
	}
	v := s.head.evaluate(req, stx.Tx.Code(), signerKeys(sigs))
	if v.authorized() {
		e := s.commit(stx.Tx, sigs, sequencedAt, effectiveAt)
		return Outcome{Kind: OutcomeApplied, Transaction: e.stx, Added: added(prior, stx), FromProposal: prior != nil, ValidFrom: e.from}, nil
	}
	if (!stx.Proposal && prior == nil) || v.progress == 0 {
		return Outcome{}, &v.missing
	}
	return s.propose(stx, prior, sigs, sequencedAt, &v.missing), nil
}

func (s *State) checkTimes(sequencedAt, effectiveAt int64) error {
	if sequencedAt < s.lastSequenced {
		return &TimeError{Reason: fmt.Sprintf("sequencing time %d before the previous %d", sequencedAt, s.lastSequenced)}
	}
	if effectiveAt < sequencedAt {
		return &TimeError{Reason: fmt.Sprintf("effective time %d before sequencing time %d", effectiveAt, sequencedAt)}
	}
	return nil
}

// check runs the state-dependent checks that do not depend on authorization: the
// synchronizer, the serial, the signatures, and the required authorizations.
func (s *State) check(stx *SignedTransaction) (requirement, error) {
	tx := stx.Tx
	if sync := synchronizerOf(tx.mapping()); sync != "" && sync != s.synchronizer.String() {
		return requirement{}, invalid("synchronizer_id", "%s is not this synchronizer (%s)", sync, s.synchronizer)
	}
	if err := s.checkSerial(tx); err != nil {
		return requirement{}, err
	}
	if err := s.head.verify(stx); err != nil {
		return requirement{}, err
	}
	return s.head.required(tx)
}

func (s *State) checkSerial(tx *Transaction) error {
	want := s.head.serial(tx.Key()) + 1
	if tx.IsRemove() && s.head.active(tx.Key()) == nil {
		return &NoSuchMappingError{Key: tx.Key()}
	}
	if tx.Serial() != want {
		return &SerialError{Key: tx.Key(), Expected: want, Got: tx.Serial()}
	}
	return nil
}

// commit applies an authorized transaction.
func (s *State) commit(tx *Transaction, sigs []Signature, sequencedAt, effectiveAt int64) *entry {
	from := max(effectiveAt, s.lastEffective)
	e := &entry{stx: &SignedTransaction{Tx: tx, Signatures: sigs}, seq: sequencedAt, from: from, until: Forever}
	if prev := s.head.latest[tx.Key()]; prev != nil && prev.until == Forever {
		prev.until = from
	}
	s.head.set(e)
	s.history = append(s.history, e)
	s.dropProposals(tx.Key(), tx.Serial())
	s.lastSequenced, s.lastEffective = sequencedAt, from
	return e
}

func signerKeys(sigs []Signature) []crypto.Fingerprint {
	out := make([]crypto.Fingerprint, len(sigs))
	for i, s := range sigs {
		out[i] = s.Key
	}
	return out
}

// added returns the signers of stx that prior does not have.
func added(prior *proposal, stx *SignedTransaction) []crypto.Fingerprint {
	var out []crypto.Fingerprint
	for _, sig := range stx.Signatures {
		if prior == nil || !slices.ContainsFunc(prior.stx.Signatures, func(x Signature) bool { return x.Key == sig.Key }) {
			out = append(out, sig.Key)
		}
	}
	return out
}
