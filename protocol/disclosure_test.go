package protocol

import (
	"errors"
	"testing"

	"github.com/cometsync/cometsync/ledger"
)

// disclosedAccept: the bank issues an IOU to alice, alice proposes to transfer it to
// carol, and carol (whose participant holds only the proposal) accepts with the IOU
// disclosed. It returns the prepared request and the disclosed IOU.
func disclosedAccept(t *testing.T) (*world, *Prepared, ledger.DisclosedContract) {
	t.Helper()
	w := newWorld(t)
	iou := w.issueIou(bank, alice, "100")
	var seed ledger.Seed
	_ = w.log[len(w.log)-1].tx.Walk(func(_ ledger.NodePath, n *ledger.Node) error {
		if n.Kind == ledger.NodeCreate && n.ContractID == iou {
			seed = n.Seed
		}
		return nil
	})
	disclosed := ledger.DisclosedContract{Contract: w.acs[iou], Seed: seed}
	prop := resultID(w.submit(ledger.ExerciseCommand([]ledger.Party{alice}, w.tid(w.iou, "Iou"), iou, "ProposeTransfer",
		ledger.Record{"newOwner": ledger.PartyValue(carol)})))
	ds, err := ledger.NewDisclosures(disclosed)
	if err != nil {
		t.Fatal(err)
	}
	carols := ledger.WithDisclosures(ledger.ContractMap{}.Add(w.acs[prop]), ds)
	cmd := ledger.ExerciseCommand([]ledger.Party{carol}, w.tid(w.iou, "IouTransferProposal"), prop, "Accept", ledger.Record{})
	tx, err := ledger.Interpret(w.pkgs, cmd, carols, testTime, ledger.Seed{9})
	if err != nil {
		t.Fatalf("carol's acceptance with the IOU disclosed: %v", err)
	}
	p, err := Prepare(tx, carols, Metadata{SubmittingParticipant: pCarol, Submitters: cmd.ActAs, SynchronizerID: syncID, LedgerTime: testTime}, seedOf(3))
	if err != nil {
		t.Fatal(err)
	}
	return w, p, disclosed
}

// Every view that uses the disclosed IOU carries its creating seed, through encoding and
// sub-view recomputation, and validates without any local copy.
func TestDisclosedInputCarriesItsSeed(t *testing.T) {
	w, p, disclosed := disclosedAccept(t)
	id := disclosed.Contract.ID
	uses := 0
	for _, v := range p.Views() {
		if inputOf(v, id) == nil {
			continue
		}
		uses++
		tree, err := p.ViewTree(v.Path)
		if err != nil {
			t.Fatal(err)
		}
		rv := receive(t, EncodeTree(tree), p.RootHash())
		if got, ok := rv.View.Participant.InputSeeds[id]; !ok || got != disclosed.Seed {
			t.Fatalf("view %s: input seeds %v, want the IOU's", v.Path, rv.View.Participant.InputSeeds)
		}
		if err := CheckSubViews(rv.View); err != nil {
			t.Fatalf("view %s: %v", v.Path, err)
		}
		if err := CheckConformance(w.pkgs, rv.View, ledger.ContractMap{}); err != nil {
			t.Fatalf("view %s: %v", v.Path, err)
		}
	}
	if uses < 2 {
		t.Fatalf("the IOU is an input of %d views, want the acceptance's and the transfer's", uses)
	}
}

// A submitter that tampers with a disclosed input (the amount), keeping its seed, is
// caught by every recipient, with or without a local copy of the contract.
func TestTamperedDisclosedInputDetected(t *testing.T) {
	w, p, disclosed := disclosedAccept(t)
	id := disclosed.Contract.ID
	for _, v := range p.Views() {
		if inputOf(v, id) == nil {
			continue
		}
		b, root := forge(t, p, v.Path, func(tv *TreeView) {
			for i, c := range tv.Participant.Inputs {
				if c.ID != id {
					continue
				}
				forged := *c
				forged.Arguments = ledger.Record{}
				for k, a := range c.Arguments {
					forged.Arguments[k] = a
				}
				forged.Arguments["amount"] = dec("1000000")
				tv.Participant.Inputs[i] = &forged
			}
		})
		rv := receive(t, b, root)
		for _, known := range []ledger.ContractLookup{ledger.ContractMap{}, ledger.ContractMap{}.Add(disclosed.Contract)} {
			err := CheckConformance(w.pkgs, rv.View, known)
			var ce *ConformanceError
			if !errors.As(err, &ce) || ce.Field != "input seeds" || !errors.Is(err, ledger.ErrContractIDMismatch) {
				t.Fatalf("view %s: %v, want a disclosed input whose id does not match", v.Path, err)
			}
		}
	}
}

func inputOf(v *View, id ledger.ContractID) *ledger.Contract {
	for _, c := range v.Participant.Inputs {
		if c.ID == id {
			return c
		}
	}
	return nil
}
