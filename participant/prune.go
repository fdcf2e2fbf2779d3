package participant

import (
	"errors"
	"fmt"
	"slices"

	"github.com/cometsync/cometsync/participant/commitments"
	"github.com/cometsync/cometsync/participant/store"
)

// ErrPruneUnsafe is what a refused pruning point wraps; the message says why.
var ErrPruneUnsafe = errors.New("not a safe pruning point")

// PrunePoint is a checked pruning point.
type PrunePoint struct {
	Before int64          // updates before this offset go
	Tick   store.TickMark // the first reconciliation tick after the last update pruned
	// Matched are the counter-participants whose commitment matched at that tick.
	Matched []string
}

// CheckPrune decides whether the updates before offset before may be pruned from st:
// the ledger reaches there, a reconciliation tick after the last update pruned was
// computed, no confirmation request older than that tick is in flight, every
// counter-participant the participant committed to at the tick sent a matching
// commitment for it, and no counter-participant's latest comparison is a mismatch. A
// refusal wraps ErrPruneUnsafe and names the reason.
func CheckPrune(st *store.Store, before int64) (PrunePoint, error) {
	state, err := st.Load()
	if err != nil {
		return PrunePoint{}, err
	}
	pruned, err := st.PrunedOffset()
	if err != nil {
		return PrunePoint{}, err
	}
	unsafe := func(format string, a ...any) (PrunePoint, error) {
		return PrunePoint{}, fmt.Errorf("%w: %s", ErrPruneUnsafe, fmt.Sprintf(format, a...))
	}
	switch {
	case before <= 1 || before <= pruned:
		return unsafe("offset %d: nothing to prune (already pruned before %d)", before, max(pruned, 1))
	case before > state.Engine.LastOffset+1:
		return unsafe("offset %d is beyond the ledger end %d", before, state.Engine.LastOffset)
	}
	marks, err := st.TickMarks()
	if err != nil {
		return PrunePoint{}, err
	}
	i := slices.IndexFunc(marks, func(m store.TickMark) bool { return m.Offset >= before-1 })
	if i < 0 {
		return unsafe("no reconciliation tick after offset %d yet: its commitments are not compared", before-1)
	}
	p := PrunePoint{Before: before, Tick: marks[i]}
	for _, pr := range state.Engine.Pending {
		if pr.RequestID <= p.Tick.Tick {
			return unsafe("request %d is in flight since before tick %d", pr.RequestID, p.Tick.Tick)
		}
	}
	outcomes, err := st.Outcomes()
	if err != nil {
		return PrunePoint{}, err
	}
	latest := map[string]commitments.Outcome{}
	for _, o := range outcomes {
		if l, ok := latest[o.Counter]; !ok || o.End >= l.End {
			latest[o.Counter] = o
		}
	}
	for _, q := range sortedKeys(latest) {
		if o := latest[q]; !o.Match {
			return unsafe("ACS commitment mismatch with %s for period (%d, %d] is outstanding", q, o.Start, o.End)
		}
	}
	var own *commitments.Period
	for k := range state.Commitments.Periods {
		if pp := &state.Commitments.Periods[k]; pp.Start < p.Tick.Tick && p.Tick.Tick <= pp.End {
			own = pp
		}
	}
	if own == nil {
		return unsafe("the participant's commitments for tick %d are no longer kept", p.Tick.Tick)
	}
	for _, q := range sortedKeys(own.To) {
		ok := slices.ContainsFunc(outcomes, func(o commitments.Outcome) bool {
			return o.Counter == q && o.Match && o.Start < p.Tick.Tick && p.Tick.Tick <= o.End
		})
		if !ok {
			return unsafe("no matching ACS commitment from %s for tick %d yet", q, p.Tick.Tick)
		}
		p.Matched = append(p.Matched, q)
	}
	return p, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Prune checks the pruning point (CheckPrune) and removes the archived contracts and
// updates before it from st.
func Prune(st *store.Store, before int64) (PrunePoint, store.PruneReport, error) {
	p, err := CheckPrune(st, before)
	if err != nil {
		return p, store.PruneReport{}, err
	}
	r, err := st.Prune(before)
	return p, r, err
}

// PruneBeforeTime returns the offset a pruning before sequencer time t (microseconds)
// stops at: the first update requested at or after t (the ledger end + 1 when none).
func PruneBeforeTime(st *store.Store, t int64) (int64, error) {
	off, ok, err := st.FirstUpdateAtOrAfter(t)
	if err != nil || ok {
		return off, err
	}
	state, err := st.Load()
	return state.Engine.LastOffset + 1, err
}

// Prune prunes the running node's database before offset before (see CheckPrune). It
// holds the node's lock, so no event is applied meanwhile.
func (n *Node) Prune(before int64) (PrunePoint, store.PruneReport, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return Prune(n.store, before)
}

// PrunedOffset returns the first offset still stored (0 when never pruned).
func (n *Node) PrunedOffset() int64 {
	off, err := n.store.PrunedOffset()
	if err != nil {
		n.log.Error("read the pruned offset", "err", err)
	}
	return off
}
