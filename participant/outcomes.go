package participant

import (
	"context"

	"github.com/cometsync/cometsync/participant/engine"
	"github.com/cometsync/cometsync/topology"
)

// maxCompletions bounds the outcomes a node keeps for WaitCompletion.
const maxCompletions = 4096

// report logs and counts what the engine ignored and completed (called under n.mu).
func (n *Node) report(rd engine.Ready) {
	for _, ig := range rd.Ignored {
		n.metrics.ignored.WithLabelValues(ig.Reason).Inc()
		level := n.log.Warn
		if ig.Reason == engine.IgnoredNoPendingRequest {
			level = n.log.Debug // a late verdict, or one beyond the group's threshold
		}
		level("transaction result ignored", "reason", ig.Reason, "request", ig.RequestID, "sender", ig.Sender, "detail", ig.Detail, "at", ig.At)
	}
	for _, c := range rd.Completions {
		outcome := outcomeRejected
		switch {
		case c.Committed:
			outcome = outcomeCommitted
		case c.TimedOut:
			outcome = outcomeTimedOut
			n.log.Warn("request timed out", "request", c.RequestID, "reason", c.Reason)
		}
		n.metrics.completed.WithLabelValues(outcome).Inc()
		if _, ok := n.completions[c.RequestID]; !ok {
			n.completed = append(n.completed, c.RequestID)
		}
		n.completions[c.RequestID] = c
		if len(n.completed) > maxCompletions {
			delete(n.completions, n.completed[0])
			n.completed = n.completed[1:]
		}
	}
}

// WaitCompletion waits, event by event, for the outcome of the request sequenced at
// requestID (microseconds) that this node took part in: committed, rejected (with the
// verdict's reason) or timed out. Only recent outcomes are kept.
func (n *Node) WaitCompletion(ctx context.Context, requestID int64) (engine.Completion, error) {
	var c engine.Completion
	err := n.await(ctx, func() bool {
		var ok bool
		c, ok = n.completions[requestID]
		return ok
	})
	return c, err
}

// PendingRequests returns how many requests await a verdict (their inputs are locked).
func (n *Node) PendingRequests() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.eng.PendingCount()
}

// WaitTopology waits, event by event, until pred holds for the node's topology head
// (pred must not keep the snapshot).
func (n *Node) WaitTopology(ctx context.Context, pred func(*topology.Snapshot) bool) error {
	return n.await(ctx, func() bool { return pred(n.topo.Head()) })
}

// WaitNoPending waits, event by event, until no request awaits a verdict here (every
// lock is released).
func (n *Node) WaitNoPending(ctx context.Context) error {
	return n.await(ctx, func() bool { return n.eng.PendingCount() == 0 })
}
