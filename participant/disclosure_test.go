package participant_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/engine"
	"github.com/cometsync/cometsync/participant/ledgerapi"
	"github.com/cometsync/cometsync/protocol"
)

// Explicit disclosure on a real chain. The bank (bankp) issues an IOU to alice
// (traderp); alice proposes to transfer it to mallory (the third participant) with the
// non-consuming ProposeTransfer, so mallory's participant holds the proposal but not the
// IOU, which accepting exercises. Without disclosure the acceptance fails there; with
// the IOU's created-event blob from alice's participant attached it commits, and every
// participant's active contracts are right. Before that, mallory tampers with the
// disclosed IOU (the amount): its own node refuses to send it (an invalid command naming
// the contract), and sent anyway through a raw client it is rejected by the honest
// confirmers as invalid_disclosed_contract, and they agree afterwards.
func TestDisclosedContractAcrossParticipants(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newByzWorld(t, ctx)
	iou := w.issueIou("100")
	prop := w.proposeTransfer(iou)
	accept := ledger.ExerciseCommand([]ledger.Party{w.mallory}, ledger.TemplateID{Package: w.pkg.ID, Name: "IouTransferProposal"}, prop, "Accept", ledger.Record{})

	if _, err := w.malNode.Submit(ctx, accept); !errors.Is(err, ledger.ErrContractNotFound) {
		t.Fatalf("accepting without the IOU: %v, want contract not found", err)
	}

	// The blob, as GetActiveContracts serves it from alice's participant.
	blob := participant.LedgerBackend{N: w.traderNode}.CreatedEventBlob(w.traderNode.ACS()[iou])
	disclosed, err := ledger.DecodeCreatedEventBlob(blob)
	if err != nil || disclosed.Contract.ID != iou {
		t.Fatalf("the IOU's created-event blob: %v", err)
	}
	tampered := disclosed
	forged := *disclosed.Contract
	forged.Arguments = ledger.Record{}
	for k, v := range disclosed.Contract.Arguments {
		forged.Arguments[k] = v
	}
	forged.Arguments["amount"] = ledger.DecimalValue{Decimal: ledger.MustParseDecimal("1000000")}
	tampered.Contract = &forged

	_, err = w.malNode.Submit(ctx, accept, participant.WithDisclosedContracts(tampered))
	if !errors.Is(err, ledger.ErrInvalidCommand) || !errors.Is(err, ledger.ErrContractIDMismatch) || !strings.Contains(err.Error(), string(iou)) {
		t.Fatalf("submitting a tampered disclosure: %v, want an invalid command naming %s", err, iou)
	}
	if code := status.Code(ledgerapi.StatusOf(err)); code != codes.InvalidArgument {
		t.Fatalf("the Ledger API answers %s, want InvalidArgument", code)
	}

	// A dishonest submitter sends it anyway.
	id := w.sendRaw(w.batch(w.prepareDisclosed(accept, w.malNode.ACS(), ledger.Disclosures{iou: tampered})))
	w.rejectedWith(id, engine.ReasonInvalidDisclosedContract, w.honest()...)
	w.rejectedWith(id, string(iou), w.honest()...)
	for _, n := range w.honest() {
		if err := w.awaitUnlocked(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := w.bankNode.ACS()[iou]; !ok {
		t.Fatal("the rejected request archived the IOU at the bank")
	}
	if _, ok := w.traderNode.ACS()[iou]; !ok {
		t.Fatal("the rejected request archived the IOU at alice's participant")
	}

	// The honest disclosure commits.
	if _, err := w.malNode.Submit(ctx, accept, participant.WithDisclosedContracts(disclosed)); err != nil {
		t.Fatalf("accepting with the IOU disclosed: %v", err)
	}
	moved := func(acs ledger.ContractMap) (ledger.ContractID, bool) {
		for cid, c := range acs {
			if c.Template.Name == "Iou" && c.Arguments["owner"] == ledger.PartyValue(w.mallory) {
				return cid, true
			}
		}
		return "", false
	}
	var movedID ledger.ContractID
	waitACS(t, ctx, w.malNode, func(acs ledger.ContractMap) bool {
		id, ok := moved(acs)
		_, propActive := acs[prop]
		movedID = id
		return ok && !propActive
	})
	waitACS(t, ctx, w.bankNode, func(acs ledger.ContractMap) bool {
		_, old := acs[iou]
		_, has := acs[movedID]
		return has && !old
	})
	waitACS(t, ctx, w.traderNode, func(acs ledger.ContractMap) bool {
		_, old := acs[iou]
		_, p := acs[prop]
		_, has := acs[movedID]
		return !old && !p && !has
	})
	if _, ok := w.malNode.ACS()[iou]; ok {
		t.Fatal("mallory's participant holds the disclosed IOU: it was never a stakeholder")
	}
	if a, b := w.bankNode.ACS()[movedID], w.malNode.ACS()[movedID]; ledger.DeriveContractID(mustSeed(t, w.bankNode, movedID), a) != movedID ||
		string(ledger.EncodeContract(a)) != string(ledger.EncodeContract(b)) {
		t.Fatal("the bank and mallory disagree on the moved IOU")
	}
	w.rebuildTrader()
}

// mustSeed returns the creating seed n knows of contract id, from its created-event blob.
func mustSeed(t *testing.T, n *participant.Node, id ledger.ContractID) ledger.Seed {
	t.Helper()
	d, err := ledger.DecodeCreatedEventBlob(participant.LedgerBackend{N: n}.CreatedEventBlob(n.ACS()[id]))
	if err != nil {
		t.Fatalf("blob of %s: %v", id, err)
	}
	return d.Seed
}

// issueIou has the bank issue an IOU of amount to alice and returns it.
func (w *byzWorld) issueIou(amount string) ledger.ContractID {
	w.t.Helper()
	if err := w.accept(w.propose(amount)); err != nil {
		w.t.Fatalf("accept the IOU proposal: %v", err)
	}
	var id ledger.ContractID
	waitACS(w.t, w.ctx, w.traderNode, func(acs ledger.ContractMap) bool {
		for cid, c := range acs {
			if c.Template.Name == "Iou" {
				id = cid
				return true
			}
		}
		return false
	})
	return id
}

// proposeTransfer has alice propose to transfer iou to mallory and returns the proposal
// once mallory's participant holds it.
func (w *byzWorld) proposeTransfer(iou ledger.ContractID) ledger.ContractID {
	w.t.Helper()
	cmd := ledger.ExerciseCommand([]ledger.Party{w.alice}, ledger.TemplateID{Package: w.pkg.ID, Name: "Iou"}, iou, "ProposeTransfer",
		ledger.Record{"newOwner": ledger.PartyValue(w.mallory)})
	if _, err := w.traderNode.Submit(w.ctx, cmd); err != nil {
		w.t.Fatalf("propose the transfer: %v", err)
	}
	var id ledger.ContractID
	waitACS(w.t, w.ctx, w.malNode, func(acs ledger.ContractMap) bool {
		for cid, c := range acs {
			if c.Template.Name == "IouTransferProposal" {
				id = cid
				return true
			}
		}
		return false
	})
	return id
}

// prepareDisclosed is prepare with disclosed contracts layered under acs, as mallory's
// node would (without checking them), submitted by mallory.
func (w *byzWorld) prepareDisclosed(cmd ledger.Command, acs ledger.ContractMap, ds ledger.Disclosures) request {
	w.t.Helper()
	var ls ledger.Seed
	var ps protocol.Seed
	rand.Read(ls[:])
	rand.Read(ps[:])
	lt := time.Now().UTC().Truncate(time.Microsecond)
	contracts := ledger.WithDisclosures(acs, ds)
	tx, err := ledger.Interpret(w.pkgs, cmd, contracts, lt, ls)
	if err != nil {
		w.t.Fatal(err)
	}
	p, err := protocol.Prepare(tx, contracts, protocol.Metadata{SubmittingParticipant: w.malID, Submitters: ledger.NewPartySet(cmd.ActAs...),
		SynchronizerID: w.mal.SynchronizerID(), LedgerTime: lt}, ps)
	if err != nil {
		w.t.Fatal(err)
	}
	plan, err := protocol.Recipients(p, w.hostingMap())
	if err != nil {
		w.t.Fatal(err)
	}
	return request{prepared: p, plan: plan}
}
