package commitments

import (
	"maps"
	"slices"

	"github.com/cometsync/cometsync/ledger"
)

// Over returns the commitment a Tracker would compute over the groups of contracts for
// which include (given a group's sorted stakeholders) holds: the commitment of two
// participants to each other is Over their shared contracts (include: a stakeholder
// hosted by each). It is Empty when no group is included. A snapshot is checked against
// the commitments sequenced at its tick with it.
func Over(contracts []*ledger.Contract, include func(stakeholders []string) bool) []byte {
	t := &Tracker{groups: map[string]*group{}, contracts: map[ledger.ContractID]entry{}}
	for _, c := range contracts {
		t.add(c)
	}
	var keys []string
	for _, key := range slices.Sorted(maps.Keys(t.groups)) {
		if include(t.groups[key].parties) {
			keys = append(keys, key)
		}
	}
	if len(keys) == 0 {
		return Empty()
	}
	return t.hash(keys)
}
