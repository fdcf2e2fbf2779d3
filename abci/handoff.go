package abci

import (
	"sync"

	"github.com/cometsync/cometsync/abci/core"
)

// decodedTxs passes submissions the node has already decoded to the CheckTx call that
// follows, so that CheckTx neither decodes them nor looks up their signature again from
// scratch. CometBFT's mempool hands CheckTx only the bytes, so the decoded form is found
// by them. It is an optimization only: CheckTx decodes whatever it does not find here.
type decodedTxs struct {
	mu sync.Mutex
	m  map[string]*core.Submission
}

func (d *decodedTxs) put(tx []byte, s *core.Submission) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil {
		d.m = make(map[string]*core.Submission)
	}
	d.m[string(tx)] = s
}

// take removes and returns the decoded form of tx, or nil.
func (d *decodedTxs) take(tx []byte) *core.Submission {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.m[string(tx)]
	if ok {
		delete(d.m, string(tx))
	}
	return s
}

// drop removes tx's entry if it is still s (CometBFT did not call CheckTx, for example
// because the transaction was already in its cache).
func (d *decodedTxs) drop(tx []byte, s *core.Submission) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m[string(tx)] == s {
		delete(d.m, string(tx))
	}
}

// Decoded registers s as the decoded form of tx for the CheckTx call that the caller is
// about to cause (through CometBFT's mempool), and returns the func to call once that
// call has returned. s must have been decoded from tx by core.DecodeSubmission and must
// not be modified afterwards.
func (a *App) Decoded(tx []byte, s *core.Submission) (done func()) {
	a.decoded.put(tx, s)
	return func() { a.decoded.drop(tx, s) }
}

// Batches returns the cache of decoded batches that Commit fills with each block's
// batches, so that the subscriptions serving a new block read its batches from memory.
func (a *App) Batches() *core.BatchCache { return a.batches }
