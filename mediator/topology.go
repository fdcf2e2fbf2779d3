package mediator

import (
	"slices"
	"sort"
)

// PartyHosting is how a party is hosted at some time, as far as the mediator cares.
type PartyHosting struct {
	// Threshold is the number of confirming participants that must approve for the party
	// (the PartyToParticipant threshold).
	Threshold int
	// Confirmers are the participants hosting the party with Submission or Confirmation
	// permission.
	Confirmers []string
	// Observers are the participants hosting the party with Observation permission only.
	Observers []string
	// Submitters are the confirmers with Submission permission: they may submit
	// requests for the party.
	Submitters []string
}

// Topology answers the mediator's topology questions. Implementations must be
// deterministic: the same question returns the same answer, so that replaying the events
// reproduces the verdicts. The core asks only about the sequencing time of a request.
type Topology interface {
	// Hosting returns the hosting of party valid at time at (microseconds). An unknown
	// party has the zero PartyHosting.
	Hosting(party string, at int64) PartyHosting
}

// MemTopology is an in-memory Topology for tests: each party has a history of hostings,
// each valid from its time on. It is not safe for concurrent use.
type MemTopology struct {
	parties map[string][]memHosting
}

type memHosting struct {
	from int64
	h    PartyHosting
}

// NewMemTopology returns an empty topology.
func NewMemTopology() *MemTopology { return &MemTopology{parties: map[string][]memHosting{}} }

// Set makes h the hosting of party from time from on (replacing one set at the same time).
func (m *MemTopology) Set(party string, from int64, h PartyHosting) *MemTopology {
	hist := m.parties[party]
	i := sort.Search(len(hist), func(i int) bool { return hist[i].from >= from })
	e := memHosting{from: from, h: h}
	if i < len(hist) && hist[i].from == from {
		hist[i] = e
	} else {
		hist = slices.Insert(hist, i, e)
	}
	m.parties[party] = hist
	return m
}

// Hosting implements Topology.
func (m *MemTopology) Hosting(party string, at int64) PartyHosting {
	hist := m.parties[party]
	i := sort.Search(len(hist), func(i int) bool { return hist[i].from > at })
	if i == 0 {
		return PartyHosting{}
	}
	h := hist[i-1].h
	return PartyHosting{Threshold: h.Threshold, Confirmers: slices.Clone(h.Confirmers), Observers: slices.Clone(h.Observers), Submitters: slices.Clone(h.Submitters)}
}
