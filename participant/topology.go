package participant

import (
	"slices"

	"github.com/cometsync/cometsync/topology"
)

// hosting answers protocol.Hosting from a topology snapshot: every participant hosting
// a party, whatever its permission, receives the views the party is an informee of.
type hosting struct{ s *topology.Snapshot }

func (h hosting) Participants(party string) []string {
	ptp, ok := h.s.PartyToParticipant(party)
	if !ok {
		return nil
	}
	var out []string
	for _, p := range ptp.Participants {
		out = append(out, p.Participant)
	}
	slices.Sort(out)
	return out
}
