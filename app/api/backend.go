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
	// core.DecodeSubmission, never nil (the backend need not decode it again and must
	// not modify it). A refusal by the application's CheckTx comes back as a *core.SubmissionError;
	// other errors are node failures (mempool full, node stopping).
	Submit(ctx context.Context, tx []byte, sub *core.Submission) error
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
