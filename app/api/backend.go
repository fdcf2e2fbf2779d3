package api

import (
	"context"

	"github.com/cometsync/cometsync/abci/core"
)

// Backend is what the sequencer API needs from the node it runs in. The node assembly
// (package app) implements it over the ABCI application and CometBFT's mempool.
type Backend interface {
	// SynchronizerID returns the synchronizer id of the chain's genesis.
	SynchronizerID() string
	// SequencerID returns this node's sequencer member id (may be empty).
	SequencerID() string
	// Machine returns the sequencer state machine (genesis, membership, parameters).
	Machine() *core.Machine
	// Submit offers a SignedSubmission to the mempool. sub is tx decoded by
	// core.DecodeSubmission (the backend need not decode it again and must not modify
	// it), or nil for an acknowledgement transaction (core.IsAckTx). A refusal by the application's CheckTx comes back as a *core.SubmissionError;
	// other errors are node failures (mempool full, node stopping).
	Submit(ctx context.Context, tx []byte, sub *core.Submission) error
	// SubmitFailure says what an error of Submit that is not a *core.SubmissionError
	// means for the submitter; FailureNode when the backend cannot tell.
	SubmitFailure(err error) SubmitFailure
	// Batches returns the cache of decoded batches that the backend fills as blocks
	// commit, shared by the subscriptions; nil: the server keeps its own.
	Batches() *core.BatchCache
	// Snapshot returns a consistent read view of committed state; call release when done.
	Snapshot() (r core.Reader, release func())
	// CommitNotify returns a channel that is closed at the next commit.
	CommitNotify() <-chan struct{}
	// LastCommittedTimeMicros is the sequencing time of the last committed event or block.
	LastCommittedTimeMicros() int64
}

// SubmitFailure classifies the node failures of Backend.Submit by what the submitter
// should do; Send answers each with its own status.
type SubmitFailure int

const (
	// FailureNode: this node cannot take submissions now (stopping, not initialized, its
	// mempool's connection to the application failed); another node may. Unavailable.
	FailureNode SubmitFailure = iota
	// FailureTooLarge: the node's mempool takes no submission this large (its
	// max_tx_bytes, or the block's byte limit); no node will. InvalidArgument, with the
	// submission code seqapi.CodeTooLarge.
	FailureTooLarge
	// FailureMempoolFull: the mempool is full for now; retry later, here or elsewhere
	// (mempools gossip, so another node's is likely as full). ResourceExhausted with a
	// RetryInfo detail.
	FailureMempoolFull
)
