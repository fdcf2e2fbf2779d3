package participant_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/testnet"
)

// TestTransferAcrossParticipants: Alice (traderp) moves her IOU from Bank (bankp) to Carol,
// who is hosted on a third participant that has never seen the IOU. With the classic
// transfer (Iou.Offer archives the IOU into an offer that carries its terms; Carol's
// participant observes the offer), Carol accepts from her own participant and every
// participant ends with the right contracts. The non-consuming ProposeTransfer cannot
// do it: accepting exercises the IOU itself, which Carol's participant does not know.
func TestTransferAcrossParticipants(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newChainWorld(t, ctx, testnet.MemberSpec{Kind: crypto.KindParticipant, Name: "carolp"})
	carolNode := w.startNode("carolp", nil)
	carol, err := carolNode.AllocateParty(ctx, "Carol")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []interface {
		WaitHosted(context.Context, ledger.Party) error
	}{w.bankNode, w.traderNode} {
		if err := n.WaitHosted(ctx, carol); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.accept(w.propose("100")); err != nil {
		t.Fatal(err)
	}
	iouT, offerT := ledger.TemplateID{Package: w.pkg.ID, Name: "Iou"}, ledger.TemplateID{Package: w.pkg.ID, Name: "IouOffer"}
	var iou ledger.ContractID
	waitACS(t, ctx, w.traderNode, func(acs ledger.ContractMap) bool {
		for id, c := range acs {
			if c.Template.Name == "Iou" {
				iou = id
			}
		}
		return iou != ""
	})

	// The non-consuming proposal: Carol's participant cannot accept it.
	if _, err := w.traderNode.Submit(ctx, ledger.ExerciseCommand([]ledger.Party{w.alice}, iouT, iou, "ProposeTransfer",
		ledger.Record{"newOwner": ledger.PartyValue(carol)})); err != nil {
		t.Fatal(err)
	}
	var tp ledger.ContractID
	waitACS(t, ctx, carolNode, func(acs ledger.ContractMap) bool {
		for id, c := range acs {
			if c.Template.Name == "IouTransferProposal" {
				tp = id
			}
		}
		return tp != ""
	})
	_, err = carolNode.Submit(ctx, ledger.ExerciseCommand([]ledger.Party{carol}, ledger.TemplateID{Package: w.pkg.ID, Name: "IouTransferProposal"}, tp, "Accept", ledger.Record{}))
	if !errors.Is(err, ledger.ErrContractNotFound) {
		t.Fatalf("accepting a ProposeTransfer from another participant: %v, want contract not found", err)
	}
	if _, err := w.traderNode.Submit(ctx, ledger.ExerciseCommand([]ledger.Party{w.alice}, ledger.TemplateID{Package: w.pkg.ID, Name: "IouTransferProposal"}, tp, "Withdraw", ledger.Record{})); err != nil {
		t.Fatal(err)
	}

	// The classic transfer works across participants.
	if _, err := w.traderNode.Submit(ctx, ledger.ExerciseCommand([]ledger.Party{w.alice}, iouT, iou, "Offer",
		ledger.Record{"newOwner": ledger.PartyValue(carol)})); err != nil {
		t.Fatalf("offer: %v", err)
	}
	var offer ledger.ContractID
	waitACS(t, ctx, carolNode, func(acs ledger.ContractMap) bool {
		for id, c := range acs {
			if c.Template == offerT {
				offer = id
			}
		}
		return offer != ""
	})
	c, err := carolNode.Submit(ctx, ledger.ExerciseCommand([]ledger.Party{carol}, offerT, offer, "Accept", ledger.Record{}))
	if err != nil {
		t.Fatalf("Carol accepts on her participant: %v", err)
	}
	var moved ledger.ContractID
	for _, u := range carolNode.Updates() {
		if u.Offset == c.Offset {
			for _, cr := range u.Created {
				if cr.Template == iouT {
					moved = cr.ID
				}
			}
		}
	}
	if moved == "" {
		t.Fatal("no IOU in Carol's update")
	}
	waitACS(t, ctx, w.bankNode, func(acs ledger.ContractMap) bool { _, ok := acs[moved]; return ok })
	waitACS(t, ctx, w.traderNode, func(acs ledger.ContractMap) bool { _, ok := acs[offer]; return !ok })
	for name, acs := range map[string]ledger.ContractMap{"bankp": w.bankNode.ACS(), "carolp": carolNode.ACS(), "traderp": w.traderNode.ACS()} {
		got, ok := acs[moved]
		switch {
		case name == "traderp" && (ok || countTemplate(acs, "Iou") != 0):
			t.Fatalf("Alice's participant still holds an IOU")
		case name != "traderp" && (!ok || got.Arguments["owner"] != ledger.PartyValue(carol)):
			t.Fatalf("%s: the moved IOU %+v, want Carol's", name, got)
		}
		if _, ok := acs[offer]; ok {
			t.Fatalf("%s still holds the offer", name)
		}
	}
}
