package topology

import (
	"time"
)

// Defaults of the transaction protocol's parameters, for fields the on-chain synchronizer
// parameters leave at zero (or when a synchronizer has none yet).
const (
	DefaultDecisionTimeout         = 30 * time.Second
	DefaultLedgerTimeTolerance     = time.Minute
	DefaultMediatorReactionTimeout = 10 * time.Second
	// DefaultReconciliationInterval is how often participants exchange ACS commitments.
	DefaultReconciliationInterval = time.Minute
)

// ProtocolParameters are the transaction protocol's timing parameters in force at a
// sequencing time. Every participant and mediator reads them from the same on-chain
// SynchronizerParameters as of a request's time, so they cannot disagree; no local
// setting overrides them.
type ProtocolParameters struct {
	// DecisionTimeout: the mediator decides a request by its time + DecisionTimeout.
	DecisionTimeout time.Duration
	// LedgerTimeTolerance bounds |ledger time - sequencing time| of a request.
	LedgerTimeTolerance time.Duration
	// MediatorReactionTimeout: a verdict may be sequenced until the decision time plus
	// this; a participant without a verdict by then times the request out.
	MediatorReactionTimeout time.Duration
	// ReconciliationInterval: participants exchange ACS commitments at every multiple of
	// it on sequencer time.
	ReconciliationInterval time.Duration
}

// ProtocolParameters returns the protocol parameters of the snapshot, defaults filled in.
func (s *Snapshot) ProtocolParameters() ProtocolParameters {
	out := ProtocolParameters{DecisionTimeout: DefaultDecisionTimeout, LedgerTimeTolerance: DefaultLedgerTimeTolerance,
		MediatorReactionTimeout: DefaultMediatorReactionTimeout, ReconciliationInterval: DefaultReconciliationInterval}
	p, ok := s.Parameters()
	if !ok {
		return out
	}
	if p.DecisionTimeoutMicros > 0 {
		out.DecisionTimeout = time.Duration(p.DecisionTimeoutMicros) * time.Microsecond
	}
	if p.LedgerTimeToleranceMicros > 0 {
		out.LedgerTimeTolerance = time.Duration(p.LedgerTimeToleranceMicros) * time.Microsecond
	}
	if p.MediatorReactionTimeoutMicros > 0 {
		out.MediatorReactionTimeout = time.Duration(p.MediatorReactionTimeoutMicros) * time.Microsecond
	}
	if p.ReconciliationIntervalMicros > 0 {
		out.ReconciliationInterval = time.Duration(p.ReconciliationIntervalMicros) * time.Microsecond
	}
	return out
}

// Deadline returns the last sequencing time (µs) at which a verdict on the request
// sequenced at requestMicros still counts: request time + decision timeout + mediator
// reaction timeout. A participant times the request out at the first event after it.
func (p ProtocolParameters) Deadline(requestMicros int64) int64 {
	return requestMicros + p.DecisionTimeout.Microseconds() + p.MediatorReactionTimeout.Microseconds()
}
