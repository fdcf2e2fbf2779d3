package protocol

import (
	"fmt"

	"github.com/cometsync/cometsync/ledger"
)

// Informee is a party entitled to see a view. Confirming informees must approve the view
// for the mediator to accept the transaction; the others are only informed.
type Informee struct {
	Party      ledger.Party
	Confirming bool
}

// String returns the party, with a trailing * if it confirms.
func (i Informee) String() string {
	if i.Confirming {
		return string(i.Party) + "*"
	}
	return string(i.Party)
}

// ActionInformees returns the informees of a view whose action is n, sorted by party:
// n.Informees() (the Daml ledger model), of which the signatories of n's contract and the
// actors confirm and the other stakeholders (observers) are only informed.
func ActionInformees(n *ledger.Node) []Informee {
	confirming := n.Signatories.Union(n.Actors)
	var out []Informee
	for _, p := range n.Informees() {
		out = append(out, Informee{Party: p, Confirming: confirming.Contains(p)})
	}
	return out
}

// informeeParties returns the parties of infs.
func informeeParties(infs []Informee) ledger.PartySet {
	out := make(ledger.PartySet, 0, len(infs))
	for _, i := range infs {
		out = append(out, i.Party)
	}
	return out
}

// checkInformeeList checks that infs is non-empty, valid and strictly sorted by party.
func checkInformeeList(infs []Informee) error {
	if len(infs) == 0 {
		return fmt.Errorf("no informees")
	}
	return checkPartySet(informeeParties(infs))
}
