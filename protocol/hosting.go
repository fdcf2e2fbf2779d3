package protocol

import (
	"slices"

	"github.com/cometsync/cometsync/ledger"
)

// Hosting resolves parties to the participants that host them, as the topology state at
// the request's topology timestamp says. Every node resolving the same request must use
// the same snapshot.
type Hosting interface {
	// Participants returns the member ids of the participants hosting party, nil if none.
	Participants(party string) []string
}

// HostingMap is an in-memory Hosting: party -> participant member ids.
type HostingMap map[string][]string

// Participants implements Hosting.
func (m HostingMap) Participants(party string) []string { return m[party] }

// hostsOf returns the sorted, distinct participants hosting any of parties, and the first
// party hosted nowhere (or "").
func hostsOf(parties ledger.PartySet, hosting Hosting) ([]string, ledger.Party) {
	var out []string
	for _, p := range parties {
		ps := hosting.Participants(string(p))
		if len(ps) == 0 {
			return nil, p
		}
		out = append(out, ps...)
	}
	slices.Sort(out)
	return slices.Compact(out), ""
}
