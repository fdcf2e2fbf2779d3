package engine

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/protocol"
)

// ErrImportConflict is what an import is refused with when a contract it brings is one
// this participant already knows differently: active with other content, or archived here.
var ErrImportConflict = errors.New("imported contract conflicts with this participant's ledger")

// Import is a set of active contracts brought into the engine from outside the stream
// (party replication: a current host's ACS snapshot of the party), as of sequencing time
// At (the snapshot's tick).
//
// The import point is defined by the caller (participant.Node): the contracts are
// imported right before the first event of this participant's stream sequenced after
// At, so every event at or before At was applied without them and every later event is
// applied on top of them. Applied at the same point of the stream on a replay, an import
// gives the same state.
type Import struct {
	At int64
	// Root identifies the import in the update log (the snapshot's digest): the update
	// is found by it (a node that restarts does not apply the import twice).
	Root      protocol.Hash
	Contracts []*ledger.Contract
	// Known, when set, finds a contract this participant has seen (active or not): a
	// contract it saw archived is never imported again.
	Known func(ledger.ContractID) (*ledger.Contract, bool)
}

// ImportReport is what an import did.
type ImportReport struct {
	Imported []ledger.ContractID // added to the active contracts, sorted
	// AlreadyActive are contracts this participant had active with the same content
	// (it observed their creation after it became a host): not counted twice.
	AlreadyActive []ledger.ContractID
	// NotHosted are contracts without a stakeholder hosted here at At: left out.
	NotHosted []ledger.ContractID
	// Rearmed are pending requests this participant had not approved because an input
	// was unknown to it, and that it now can commit (see Import).
	Rearmed []int64
}

// Import adds the contracts of im to the active contracts as one update (RequestID
// im.At, RootHash im.Root, the imported contracts as Created) at the next offset, and
// returns it with what was done. The update is not in Ready: the caller stores it (and
// counts its contracts in its ACS commitments) itself, before the event it precedes. It is all or nothing: a contract active here with
// different content, or seen here and no longer active (archived), refuses the whole
// import with an ErrImportConflict and changes nothing.
//
// Requests in flight: a request sequenced before the import point that consumes a
// contract this participant did not have yet was not approved here (the contract was
// "not active"), and the participant would not commit it even if the mediator approves
// it. Once every contract it consumes is active and unlocked after the import, and at
// least one of them is imported, the request is re-armed: it locks its inputs and
// commits on an approving verdict like the other hosts do (the participant's
// rejection, if it sent one, was for the unknown input only as far as it can tell; the
// mediator's verdict decides).
func (e *Engine) Import(im Import) (Update, ImportReport, error) {
	var rep ImportReport
	hosting := e.cfg.Topology.Hosting(im.At)
	var add []*ledger.Contract
	for _, c := range slices.SortedFunc(slices.Values(im.Contracts), func(a, b *ledger.Contract) int { return strings.Compare(string(a.ID), string(b.ID)) }) {
		if !e.hostsStakeholder(c, hosting) {
			rep.NotHosted = append(rep.NotHosted, c.ID)
			continue
		}
		if have, ok := e.acs[c.ID]; ok {
			if !bytes.Equal(ledger.EncodeContract(have), ledger.EncodeContract(c)) {
				return Update{}, ImportReport{}, fmt.Errorf("%w: contract %s is active here with other content", ErrImportConflict, c.ID)
			}
			rep.AlreadyActive = append(rep.AlreadyActive, c.ID)
			continue
		}
		if im.Known != nil {
			if have, ok := im.Known(c.ID); ok {
				if !bytes.Equal(ledger.EncodeContract(have), ledger.EncodeContract(c)) {
					return Update{}, ImportReport{}, fmt.Errorf("%w: contract %s is known here with other content", ErrImportConflict, c.ID)
				}
				return Update{}, ImportReport{}, fmt.Errorf("%w: contract %s was archived here", ErrImportConflict, c.ID)
			}
		}
		if len(add) > 0 && add[len(add)-1].ID == c.ID {
			return Update{}, ImportReport{}, fmt.Errorf("%w: contract %s twice in the import", ErrImportConflict, c.ID)
		}
		add = append(add, c)
	}
	e.offset++
	u := Update{Offset: e.offset, RequestID: im.At, RootHash: im.Root}
	imported := map[ledger.ContractID]bool{}
	for _, c := range add {
		e.acs[c.ID] = c
		u.Created = append(u.Created, c)
		rep.Imported = append(rep.Imported, c.ID)
		imported[c.ID] = true
	}
	for _, id := range slices.Sorted(maps.Keys(e.pending)) {
		r := e.pending[id]
		if r.approved || !e.rearmable(r, imported) {
			continue
		}
		r.approved, r.locked = true, r.consumed
		for _, cid := range r.consumed {
			e.locks[cid] = id
		}
		e.ready.PendingAdded = append(e.ready.PendingAdded, r.persistent(id))
		rep.Rearmed = append(rep.Rearmed, id)
	}
	return u, rep, nil
}

func (e *Engine) rearmable(r *request, imported map[ledger.ContractID]bool) bool {
	some := false
	for _, cid := range r.consumed {
		if _, ok := e.acs[cid]; !ok {
			return false
		}
		if _, locked := e.locks[cid]; locked {
			return false
		}
		some = some || imported[cid]
	}
	return some
}

// Offboard removes, as one update at sequencing time at (RequestID at, RootHash root,
// the removed contracts as Archived), every active contract none of whose stakeholders
// this participant hosts at at: a participant that stops hosting a party (party
// replication's last step, or `parties disable`) drops the contracts it kept only for
// that party, so that they count in no ACS commitment and the Ledger API no longer
// lists them. ok is false (and nothing changes) when there is nothing to remove.
func (e *Engine) Offboard(at int64, root protocol.Hash) (u Update, ok bool) {
	hosting := e.cfg.Topology.Hosting(at)
	var gone []ledger.ContractID
	for id, c := range e.acs {
		if !e.hostsStakeholder(c, hosting) {
			gone = append(gone, id)
		}
	}
	if len(gone) == 0 {
		return Update{}, false
	}
	slices.Sort(gone)
	e.offset++
	u = Update{Offset: e.offset, RequestID: at, RootHash: root, Archived: gone}
	for _, id := range gone {
		delete(e.acs, id)
	}
	return u, true
}
