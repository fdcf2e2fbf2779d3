package participant_test

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
	mediatord "github.com/cometsync/cometsync/mediator/daemon"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/engine"
	"github.com/cometsync/cometsync/participant/ledgerapi"
	"github.com/cometsync/cometsync/protocol"
	"github.com/cometsync/cometsync/testnet"
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

// A dealer's public price quote (examples/quote.yaml) on a real chain: the buyer's
// participant never holds the quote, the buyer exercises its non-consuming Buy with the
// quote disclosed (its blob from the dealer's participant), twice; the dealer's
// participant holds the quote and both trades, the buyer's only the trades. Once the
// dealer withdraws the quote, a Buy with the stale blob is rejected by the dealer's
// participant, which checks the disclosed contract's activeness with its own copy.
func TestDisclosedQuoteOnARealChain(t *testing.T) {
	net := startChain(t, []testnet.MemberSpec{
		{Kind: crypto.KindParticipant, Name: "dealerp"}, {Kind: crypto.KindParticipant, Name: "buyerp"},
		{Kind: crypto.KindMediator, Name: "mediator"},
	})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	src, err := os.ReadFile(filepath.Join("..", "examples", "quote.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := ledger.ParsePackage(src)
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := ledger.NewPackageSet(pkg)
	if err != nil {
		t.Fatal(err)
	}
	med := net.Member("mediator")
	medEnc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	startMediator(t, ctx, mediatord.NodeConfig{Driver: driverConfig(net, med), EncryptionKey: medEnc})
	start := func(name string) *participant.Node {
		enc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
		return startParticipant(t, ctx, participant.Config{Driver: driverConfig(net, net.Member(name)), EncryptionKey: enc,
			Packages: pkgs, Mediators: []string{med.ID}})
	}
	dealerNode, buyerNode := start("dealerp"), start("buyerp")
	dealer, err := dealerNode.AllocateParty(ctx, "Dealer")
	if err != nil {
		t.Fatal(err)
	}
	buyer, err := buyerNode.AllocateParty(ctx, "Buyer")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []*participant.Node{dealerNode, buyerNode} {
		for _, p := range []ledger.Party{dealer, buyer} {
			if err := n.WaitHosted(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	quoteT := ledger.TemplateID{Package: pkg.ID, Name: "PriceQuote"}
	c, err := dealerNode.Submit(ctx, ledger.CreateCommand([]ledger.Party{dealer}, quoteT, ledger.Record{
		"dealer": ledger.PartyValue(dealer), "asset": ledger.TextValue("XAU"), "price": ledger.DecimalValue{Decimal: ledger.MustParseDecimal("2000.5")},
	}))
	if err != nil {
		t.Fatalf("publish the quote: %v", err)
	}
	var quote ledger.ContractID
	for id, q := range dealerNode.ACS() {
		if q.Template == quoteT {
			quote = id
		}
	}
	if quote == "" || c.Offset == 0 {
		t.Fatalf("the dealer's participant holds no quote after %+v", c)
	}
	disclosed, err := ledger.DecodeCreatedEventBlob(participant.LedgerBackend{N: dealerNode}.CreatedEventBlob(dealerNode.ACS()[quote]))
	if err != nil {
		t.Fatal(err)
	}
	buy := ledger.ExerciseCommand([]ledger.Party{buyer}, quoteT, quote, "Buy",
		ledger.Record{"buyer": ledger.PartyValue(buyer), "quantity": ledger.IntValue(3)})
	for range 2 {
		if _, err := buyerNode.Submit(ctx, buy, participant.WithDisclosedContracts(disclosed)); err != nil {
			t.Fatalf("buy with the quote disclosed: %v", err)
		}
	}
	trades := func(acs ledger.ContractMap) (n int) {
		for _, c := range acs {
			if c.Template.Name == "Trade" && c.Arguments["buyer"] == ledger.PartyValue(buyer) {
				n++
			}
		}
		return n
	}
	waitACS(t, ctx, dealerNode, func(acs ledger.ContractMap) bool { _, q := acs[quote]; return q && trades(acs) == 2 && len(acs) == 3 })
	waitACS(t, ctx, buyerNode, func(acs ledger.ContractMap) bool { return trades(acs) == 2 && len(acs) == 2 })

	if _, err := dealerNode.Submit(ctx, ledger.ExerciseCommand([]ledger.Party{dealer}, quoteT, quote, "Withdraw", ledger.Record{})); err != nil {
		t.Fatalf("withdraw the quote: %v", err)
	}
	_, err = buyerNode.Submit(ctx, buy, participant.WithDisclosedContracts(disclosed))
	if !errors.Is(err, participant.ErrRejected) || !strings.Contains(err.Error(), "disclosed contract "+string(quote)+" is not active") {
		t.Fatalf("buy against the withdrawn quote: %v, want rejected as not active", err)
	}
	if n := trades(buyerNode.ACS()); n != 2 {
		t.Fatalf("the buyer holds %d trades, want 2", n)
	}
}
