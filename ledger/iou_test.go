package ledger

import (
	"errors"
	"testing"
)

func iouSetup(t testing.TB) (*ledgerState, TemplateID, ContractID) {
	pkg := loadExample(t, "iou.yaml")
	l := newLedger(t, mustSet(t, pkg))
	iou := TemplateID{Package: pkg.ID, Name: "Iou"}
	prop := TemplateID{Package: pkg.ID, Name: "IouProposal"}
	tx := l.mustSubmit(CreateCommand([]Party{bank}, prop, Record{
		"issuer": PartyValue(bank), "owner": PartyValue(alice), "amount": dec("100"), "currency": TextValue("USD"),
	}))
	tx = l.mustSubmit(ExerciseCommand([]Party{alice}, prop, tx.Roots[0].ContractID, "Accept", Record{}))
	root := tx.Roots[0]
	if len(root.Children) != 1 || root.Children[0].Kind != NodeCreate {
		t.Fatalf("accept: want one create, got %+v", root.Children)
	}
	return l, iou, ContractID(root.Result.(ContractIDValue))
}

func TestIouIssueAndTransfer(t *testing.T) {
	l, iou, cid := iouSetup(t)
	if got := l.acs[cid].Signatories; !equalParties(got, bank, alice) {
		t.Fatalf("iou signatories %v", got)
	}
	tx := l.mustSubmit(ExerciseCommand([]Party{alice}, iou, cid, "ProposeTransfer", Record{"newOwner": PartyValue(bob)}))
	prop := ContractID(tx.Roots[0].Result.(ContractIDValue))
	if _, ok := l.acs[cid]; !ok {
		t.Fatal("ProposeTransfer is non-consuming; the IOU must stay active")
	}
	propT := TemplateID{Package: iou.Package, Name: "IouTransferProposal"}
	tx = l.mustSubmit(ExerciseCommand([]Party{bob}, propT, prop, "Accept", Record{}))
	accept := tx.Roots[0]
	transfer := accept.Children[0]
	create := transfer.Children[0]
	checkInformees(t, accept, alice, bob)
	checkInformees(t, transfer, bank, alice, bob)
	checkInformees(t, create, bank, bob)
	moved := l.acs[create.ContractID]
	if moved == nil || moved.Arguments["owner"] != PartyValue(bob) {
		t.Fatalf("moved IOU %+v", moved)
	}
	if _, ok := l.acs[cid]; ok {
		t.Fatal("the old IOU must be archived")
	}
}

func TestIouSplitAndMerge(t *testing.T) {
	l, iou, cid := iouSetup(t)
	tx := l.mustSubmit(ExerciseCommand([]Party{alice}, iou, cid, "Split", Record{"splitAmount": dec("30.25")}))
	ids := tx.Roots[0].Result.(ListValue)
	a, b := ContractID(ids[0].(ContractIDValue)), ContractID(ids[1].(ContractIDValue))
	if got := l.acs[b].Arguments["amount"]; ValueString(got) != "69.75" {
		t.Fatalf("rest = %s", ValueString(got))
	}
	tx = l.mustSubmit(ExerciseCommand([]Party{alice}, iou, a, "Merge", Record{"other": ContractIDValue(b)}))
	kinds := []NodeKind{}
	for _, c := range tx.Roots[0].Children {
		kinds = append(kinds, c.Kind)
	}
	if len(kinds) != 3 || kinds[0] != NodeFetch || kinds[1] != NodeExercise || kinds[2] != NodeCreate {
		t.Fatalf("merge children %v", kinds)
	}
	merged := ContractID(tx.Roots[0].Result.(ContractIDValue))
	if got := ValueString(l.acs[merged].Arguments["amount"]); got != "100.0" {
		t.Fatalf("merged amount %s", got)
	}
	if len(l.acs) != 1 {
		t.Fatalf("want only the merged IOU active, have %d contracts", len(l.acs))
	}
}

func TestIouSplitErrors(t *testing.T) {
	l, iou, cid := iouSetup(t)
	_, err := l.submit(ExerciseCommand([]Party{alice}, iou, cid, "Split", Record{"splitAmount": dec("100")}))
	if !errors.Is(err, ErrAssertionFailed) {
		t.Fatalf("split of everything: %v", err)
	}
	_, err = l.submit(ExerciseCommand([]Party{bob}, iou, cid, "Split", Record{"splitAmount": dec("1")}))
	var ae *AuthorizationError
	if !errors.As(err, &ae) || !equalParties(ae.Missing, alice) {
		t.Fatalf("split by bob: %v", err)
	}
}

func equalParties(got PartySet, want ...Party) bool {
	w := NewPartySet(want...)
	if len(got) != len(w) {
		return false
	}
	for i := range w {
		if got[i] != w[i] {
			return false
		}
	}
	return true
}

func checkInformees(t *testing.T, n *Node, want ...Party) {
	t.Helper()
	if got := n.Informees(); !equalParties(got, want...) {
		t.Errorf("%s %s informees = %v, want %v", n.Kind, n.Choice, got, NewPartySet(want...))
	}
}

// TestIouOffer: the classic transfer. Offer archives the IOU and creates an offer that
// carries its terms, signed by the issuer and the owner with the new owner as observer;
// the new owner's Accept re-creates the IOU for it (with the issuer's and old owner's
// authority from the offer's signatories), Reject and Withdraw give it back. The new
// owner never needs to see the old IOU itself.
func TestIouOffer(t *testing.T) {
	for _, tc := range []struct {
		choice string
		actor  Party
		owner  Party
	}{{"Accept", bob, bob}, {"Reject", bob, alice}, {"Withdraw", alice, alice}} {
		t.Run(tc.choice, func(t *testing.T) {
			l, iou, cid := iouSetup(t)
			tx := l.mustSubmit(ExerciseCommand([]Party{alice}, iou, cid, "Offer", Record{"newOwner": PartyValue(bob)}))
			if _, ok := l.acs[cid]; ok {
				t.Fatal("Offer must archive the IOU")
			}
			offer := ContractID(tx.Roots[0].Result.(ContractIDValue))
			c := l.acs[offer]
			if c == nil || !equalParties(c.Signatories, bank, alice) || !equalParties(c.Observers, bob) {
				t.Fatalf("offer %+v", c)
			}
			checkInformees(t, tx.Roots[0], bank, alice)
			offerT := TemplateID{Package: iou.Package, Name: "IouOffer"}
			tx = l.mustSubmit(ExerciseCommand([]Party{tc.actor}, offerT, offer, tc.choice, Record{}))
			root := tx.Roots[0]
			checkInformees(t, root, bank, alice, bob)
			moved := l.acs[ContractID(root.Result.(ContractIDValue))]
			if moved == nil || moved.Arguments["owner"] != PartyValue(tc.owner) || ValueString(moved.Arguments["amount"]) != ValueString(dec("100")) {
				t.Fatalf("%s: IOU %+v, want owned by %s", tc.choice, moved, tc.owner)
			}
			if _, ok := l.acs[offer]; ok {
				t.Fatalf("%s must consume the offer", tc.choice)
			}
		})
	}
	// Only the new owner accepts.
	l, iou, cid := iouSetup(t)
	tx := l.mustSubmit(ExerciseCommand([]Party{alice}, iou, cid, "Offer", Record{"newOwner": PartyValue(bob)}))
	offer := ContractID(tx.Roots[0].Result.(ContractIDValue))
	if _, err := l.submit(ExerciseCommand([]Party{alice}, TemplateID{Package: iou.Package, Name: "IouOffer"}, offer, "Accept", Record{})); !errors.Is(err, ErrAuthorization) {
		t.Fatalf("the old owner accepting: %v", err)
	}
}
