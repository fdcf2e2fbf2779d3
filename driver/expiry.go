package driver

import "container/heap"

// expiryQueue orders pending handles by max sequencing time so that an event only looks
// at the handles it actually expires (observe is on the subscription's hot path). Handles
// resolved by their receipt stay in the queue until they reach its head and are skipped.
type expiryQueue []*Handle

func (q expiryQueue) Len() int           { return len(q) }
func (q expiryQueue) Less(i, j int) bool { return q[i].maxSeqMicros < q[j].maxSeqMicros }
func (q expiryQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *expiryQueue) Push(x any)        { *q = append(*q, x.(*Handle)) }
func (q *expiryQueue) Pop() any {
	old := *q
	h := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return h
}

func (q *expiryQueue) add(h *Handle) { heap.Push(q, h) }

// popExpired removes and returns the handles with max sequencing time before ts.
func (q *expiryQueue) popExpired(ts int64) []*Handle {
	var out []*Handle
	for q.Len() > 0 && (*q)[0].maxSeqMicros < ts {
		out = append(out, heap.Pop(q).(*Handle))
	}
	return out
}
