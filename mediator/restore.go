package mediator

import (
	"fmt"
	"log/slog"
	"math"
	"slices"

	pb "github.com/cometsync/cometsync/proto/mediatorpb"
)

// Restore returns a core in the state cp describes, as if it had stepped the events up
// to the checkpoint and acknowledged their outputs: stepping it the remaining events
// gives the same outputs (results with the same Seq, records, time proofs) as the core
// the checkpoint was taken from. It fails with a *CheckpointError (wrapping
// ErrInvalidCheckpoint) naming the first inconsistency, such as requests out of order, a
// request that should have been forgotten or decided, or a vote by a participant that may
// not answer.
func Restore(cfg Config, cp Checkpoint) (*Core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkMeta(cp); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := newCore(cfg, log)
	c.seq, c.last, c.observed = cp.Meta.Seq, cp.Meta.Last, cp.Meta.Observed
	for i, st := range cp.Requests {
		if i > 0 && st.ID <= cp.Requests[i-1].ID {
			return nil, checkpointErr(st.ID, "requests not sorted by id and distinct: %d after %d", st.ID, cp.Requests[i-1].ID)
		}
		r, err := restoreRequest(st, cp.Meta.Last)
		if err != nil {
			return nil, err
		}
		c.requests[r.id] = r
		c.deadlines.push(deadline{at: r.decision, id: r.id})
	}
	return c, nil
}

func checkMeta(cp Checkpoint) error {
	m := cp.Meta
	if !m.Observed && (m.Last != 0 || m.Seq != 0 || len(cp.Requests) > 0) {
		return &CheckpointError{Request: -1, Reason: fmt.Sprintf(
			"no event observed, yet last timestamp %d, next result %d and %d requests", m.Last, m.Seq, len(cp.Requests))}
	}
	return nil
}

// restoreRequest checks and rebuilds one request of a checkpoint whose last observed
// timestamp is last.
func restoreRequest(st RequestState, last int64) (*request, error) {
	id := st.ID
	switch {
	case id > last:
		return nil, checkpointErr(id, "arrived after the last observed timestamp %d", last)
	case st.Decision < last:
		return nil, checkpointErr(id, "decision time %d is before the last observed timestamp %d: it should have been forgotten", st.Decision, last)
	case st.Decision <= id && st.Decision != math.MaxInt64:
		return nil, checkpointErr(id, "decision time %d is not after the request", st.Decision)
	case !st.Decided && len(st.Views) == 0:
		return nil, checkpointErr(id, "undecided without views")
	case !sortedDistinct(st.Recipients):
		return nil, checkpointErr(id, "recipients not sorted and distinct")
	}
	r := &request{id: id, decision: st.Decision, rootHash: orNil(slices.Clone(st.RootHash)),
		recipients: orNil(slices.Clone(st.Recipients)), decided: st.Decided}
	positions := map[uint32]bool{}
	for _, vs := range st.Views {
		if positions[vs.Position] {
			return nil, checkpointErr(id, "view %d appears twice", vs.Position)
		}
		positions[vs.Position] = true
		v, err := restoreView(id, vs)
		if err != nil {
			return nil, err
		}
		r.views = append(r.views, v)
	}
	if err := r.restoreRejections(st.Rejections); err != nil {
		return nil, err
	}
	if !r.decided && r.outcome() != nil {
		return nil, checkpointErr(id, "undecided, but its votes settle it")
	}
	return r, nil
}

func restoreView(id int64, vs ViewState) (*view, error) {
	if len(vs.Parties) == 0 {
		return nil, checkpointErr(id, "view %d has no confirming party", vs.Position)
	}
	v := &view{position: vs.Position}
	for i, ts := range vs.Parties {
		if ts.Party == "" || (i > 0 && ts.Party <= vs.Parties[i-1].Party) {
			return nil, checkpointErr(id, "view %d: parties not sorted, distinct and non-empty at index %d", vs.Position, i)
		}
		t, err := restoreTally(ts)
		if err != nil {
			return nil, checkpointErr(id, "view %d: party %s: %s", vs.Position, ts.Party, err)
		}
		v.parties = append(v.parties, t)
	}
	return v, nil
}

func restoreTally(ts TallyState) (*tally, error) {
	switch {
	case ts.Threshold < 1 || len(ts.Confirmers) < ts.Threshold:
		return nil, fmt.Errorf("threshold %d with %d confirming participants", ts.Threshold, len(ts.Confirmers))
	case !sortedDistinct(ts.Confirmers) || ts.Confirmers[0] == "":
		return nil, fmt.Errorf("confirming participants not sorted, distinct and non-empty")
	}
	t := &tally{party: ts.Party, threshold: ts.Threshold, confirmers: slices.Clone(ts.Confirmers), votes: map[string]bool{}}
	for i, v := range ts.Votes {
		switch {
		case i > 0 && v.Participant <= ts.Votes[i-1].Participant:
			return nil, fmt.Errorf("votes not sorted by participant and distinct at index %d", i)
		case !t.hosts(v.Participant):
			return nil, fmt.Errorf("vote by %s, which does not confirm for the party", v.Participant)
		}
		t.vote(v.Participant, v.Approve)
	}
	return t, nil
}

// restoreRejections decodes the rejections, each of which must be a counted reject vote,
// and every reject vote must have one.
func (r *request) restoreRejections(raw [][]byte) error {
	type key struct {
		pos                uint32
		party, participant string
	}
	rejects := map[key]bool{}
	for _, v := range r.views {
		for _, t := range v.parties {
			for p, approve := range t.votes {
				if !approve {
					rejects[key{v.position, t.party, p}] = true
				}
			}
		}
	}
	for i, b := range raw {
		rj := &pb.Rejection{}
		if err := rj.Unmarshal(b); err != nil {
			return checkpointErr(r.id, "rejection %d does not decode: %v", i, err)
		}
		k := key{rj.ViewPosition, rj.Party, rj.Participant}
		if !rejects[k] {
			return checkpointErr(r.id, "rejection %d (by %s for %s in view %d) has no reject vote, or a second rejection", i, rj.Participant, rj.Party, rj.ViewPosition)
		}
		delete(rejects, k)
		r.rejections = append(r.rejections, rj)
	}
	if len(rejects) > 0 {
		return checkpointErr(r.id, "%d reject votes have no rejection", len(rejects))
	}
	return nil
}

func sortedDistinct(s []string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] <= s[i-1] {
			return false
		}
	}
	return true
}
