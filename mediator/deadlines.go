package mediator

import (
	"container/heap"
	"slices"
)

// deadline is a request's decision time.
type deadline struct {
	at, id int64
}

func (a deadline) less(b deadline) bool { return a.at < b.at || (a.at == b.at && a.id < b.id) }

// deadlineQueue is a min-heap of deadlines ordered by time, then request id.
type deadlineQueue struct {
	h deadlineHeap
}

func (q *deadlineQueue) push(d deadline) { heap.Push(&q.h, d) }

// popBefore removes and returns the earliest deadline if it is before ts.
func (q *deadlineQueue) popBefore(ts int64) (deadline, bool) {
	if len(q.h) == 0 || q.h[0].at >= ts {
		return deadline{}, false
	}
	return heap.Pop(&q.h).(deadline), true
}

// sorted returns the deadlines in order (a copy).
func (q *deadlineQueue) sorted() []deadline {
	out := slices.Clone(q.h)
	slices.SortFunc(out, func(a, b deadline) int {
		switch {
		case a.less(b):
			return -1
		case b.less(a):
			return 1
		}
		return 0
	})
	return out
}

type deadlineHeap []deadline

func (h deadlineHeap) Len() int           { return len(h) }
func (h deadlineHeap) Less(i, j int) bool { return h[i].less(h[j]) }
func (h deadlineHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *deadlineHeap) Push(x any)        { *h = append(*h, x.(deadline)) }
func (h *deadlineHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
