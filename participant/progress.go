package participant

import (
	"context"

	"github.com/cometsync/cometsync/participant/engine"
)

// Progress is where a node is in its event stream.
type Progress struct {
	NextCounter int64 // the next event of the stream to apply
	Height      int64 // block height of the last event applied
	Timestamp   int64 // sequencing time (µs) of the last event applied
	StartHeight int64 // chain height when the node started; it is live from there
	Live        bool  // caught up with the chain as of the start; sends are made
	Pending     int   // confirmation requests awaiting a verdict
	Outbox      int   // sends decided without a receipt on the stream yet
	LedgerEnd   int64 // offset of the last committed update
}

// Progress returns where the node is.
func (n *Node) Progress() Progress {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.progress()
}

func (n *Node) progress() Progress {
	p := n.rt.ProgressLocked()
	return Progress{NextCounter: p.Next, Height: p.Height, Timestamp: p.Timestamp, StartHeight: p.StartHeight, Live: p.Live, Pending: n.eng.PendingCount(),
		Outbox: p.Outbox, LedgerEnd: n.eng.LastOffset()}
}

// WaitProgress waits, event by event, until cond holds; it fails when the node's stream
// stopped with an error.
func (n *Node) WaitProgress(ctx context.Context, cond func(Progress) bool) error {
	var failed error
	err := n.await(ctx, func() bool {
		failed = n.rt.ErrLocked()
		return failed != nil || cond(n.progress())
	})
	if err == nil && failed != nil {
		return failed
	}
	return err
}

// ACSHash returns the hash of the active contract set (engine.ACSHash).
func (n *Node) ACSHash() []byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	return engine.ACSHash(n.eng.ACS())
}

// TopologyHash returns the hash of the node's topology state (topology.State.Hash).
func (n *Node) TopologyHash() []byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.topo.Hash()
}
