package mediator

import (
	"fmt"
	"maps"
	"slices"
)

// Checkpoint is the state of a Core: what a mediator persists so that, restarted, it
// resumes from the next event of its stream (Restore) instead of replaying it from the
// start. It holds no outputs: those not acknowledged with Advance when it is taken are
// not part of it. It is deterministic (a function of the events stepped) and encodes to
// JSON losslessly: the participants' free-text rejection reasons travel as proto bytes;
// the other strings are topology identifiers.
type Checkpoint struct {
	Meta Meta
	// Requests are the requests the core holds (undecided, or decided with their
	// decision time not passed yet), sorted by id.
	Requests []RequestState
}

// Meta is the state of a Core besides its requests.
type Meta struct {
	// Seq is the number of the next result.
	Seq uint64
	// Last is the last observed timestamp; Observed is false before the first event.
	Last     int64
	Observed bool
}

// RequestState is a request as a checkpoint holds it.
type RequestState struct {
	// ID is the request's sequencing timestamp; Decision its decision time.
	ID       int64
	Decision int64
	RootHash []byte `json:",omitempty"`
	// Recipients are those of its verdict, sorted and distinct.
	Recipients []string `json:",omitempty"`
	// Views are in informee tree order; none when the request was rejected on arrival.
	Views []ViewState `json:",omitempty"`
	// Rejections are the marshalled mediatorpb.Rejection of the counted reject votes, in
	// the order they were counted (the order a verdict lists them in).
	Rejections [][]byte `json:",omitempty"`
	Decided    bool
}

// ViewState is a view of a request with the tallies of its confirming parties.
type ViewState struct {
	Position uint32
	// Parties are sorted by party and distinct.
	Parties []TallyState
}

// TallyState is the tally of one confirming party in one view.
type TallyState struct {
	Party     string
	Threshold int
	// Confirmers are the participants that may answer for the party, sorted, distinct.
	Confirmers []string
	// Votes are the answers counted, sorted by participant.
	Votes []Vote `json:",omitempty"`
}

// Vote is a participant's counted answer for a party in a view.
type Vote struct {
	Participant string
	Approve     bool
}

// Meta returns the core's state besides its requests.
func (c *Core) Meta() Meta { return Meta{Seq: c.seq, Last: c.last, Observed: c.observed} }

// Checkpoint returns the core's state. Its cost is proportional to the requests held;
// Ready.Changed and Ready.Forgotten give the difference since the last Advance.
func (c *Core) Checkpoint() Checkpoint {
	cp := Checkpoint{Meta: c.Meta()}
	for _, id := range slices.Sorted(maps.Keys(c.requests)) {
		cp.Requests = append(cp.Requests, c.requests[id].state())
	}
	return cp
}

// state exports r; the result shares nothing with r.
func (r *request) state() RequestState {
	st := RequestState{ID: r.id, Decision: r.decision, RootHash: orNil(slices.Clone(r.rootHash)),
		Recipients: orNil(slices.Clone(r.recipients)), Decided: r.decided}
	for _, v := range r.views {
		vs := ViewState{Position: v.position}
		for _, t := range v.parties {
			vs.Parties = append(vs.Parties, t.state())
		}
		st.Views = append(st.Views, vs)
	}
	for _, rj := range r.rejections {
		b, err := rj.Marshal()
		if err != nil { // a message of scalars and strings always marshals
			panic(fmt.Sprintf("mediator: marshal rejection of request %d: %v", r.id, err))
		}
		st.Rejections = append(st.Rejections, b)
	}
	return st
}

func (t *tally) state() TallyState {
	ts := TallyState{Party: t.party, Threshold: t.threshold, Confirmers: slices.Clone(t.confirmers)}
	for _, p := range slices.Sorted(maps.Keys(t.votes)) {
		ts.Votes = append(ts.Votes, Vote{Participant: p, Approve: t.votes[p]})
	}
	return ts
}

// orNil returns nil for an empty slice, so that a state and its JSON round trip agree.
func orNil[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}
