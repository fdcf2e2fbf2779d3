package participant_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
	mediatord "github.com/cometsync/cometsync/mediator/daemon"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/store"
	"github.com/cometsync/cometsync/testnet"
)

// chainWorld is a one-validator chain with a bank participant, a trader participant and a
// mediator, with the parties Bank (bank) and Alice (trader) allocated.
type chainWorld struct {
	t           *testing.T
	ctx         context.Context
	net         *testnet.Network
	pkg         *ledger.Package
	pkgs        *ledger.PackageSet
	medEnc      crypto.EncryptionPrivateKey
	med         *mediatord.Node
	bankNode    *participant.Node
	traderNode  *participant.Node
	bank, alice ledger.Party
	encs        map[string]crypto.EncryptionPrivateKey
}

func newChainWorld(t *testing.T, ctx context.Context, extra ...testnet.MemberSpec) *chainWorld {
	t.Helper()
	specs := append([]testnet.MemberSpec{
		{Kind: crypto.KindParticipant, Name: "bankp"}, {Kind: crypto.KindParticipant, Name: "traderp"},
		{Kind: crypto.KindMediator, Name: "mediator"},
	}, extra...)
	net := startChain(t, specs)
	w := &chainWorld{t: t, ctx: ctx, net: net, encs: map[string]crypto.EncryptionPrivateKey{}}
	w.pkg, w.pkgs = iouPackage(t)
	var err error
	w.medEnc, _ = crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	w.startMediator()
	w.bankNode, w.traderNode = w.startNode("bankp", nil), w.startNode("traderp", nil)
	if w.bank, err = w.bankNode.AllocateParty(ctx, "Bank"); err != nil {
		t.Fatal(err)
	}
	if w.alice, err = w.traderNode.AllocateParty(ctx, "Alice"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*participant.Node{w.bankNode, w.traderNode} {
		for _, p := range []ledger.Party{w.bank, w.alice} {
			if err := n.WaitHosted(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	return w
}

func (w *chainWorld) startMediator() {
	w.med = startMediator(w.t, w.ctx, mediatord.NodeConfig{Driver: driverConfig(w.net, w.net.Member("mediator")), EncryptionKey: w.medEnc})
}

// startNode starts the participant name over st (in memory when nil), with the
// encryption key it had before, or a new one.
func (w *chainWorld) startNode(name string, st *store.Store) *participant.Node {
	enc, ok := w.encs[name]
	if !ok {
		enc, _ = crypto.GenerateEncryptionKey(crypto.DefaultScheme)
		w.encs[name] = enc
	}
	return startParticipant(w.t, w.ctx, participant.Config{
		Driver: driverConfig(w.net, w.net.Member(name)), EncryptionKey: enc, Packages: w.pkgs,
		Mediators: []string{w.net.Member("mediator").ID}, Store: st,
	})
}

// propose has the bank propose an IOU to alice and returns the proposal once the
// trader's participant holds it.
func (w *chainWorld) propose(amount string) ledger.ContractID {
	w.t.Helper()
	if _, err := w.bankNode.Submit(w.ctx, ledger.CreateCommand([]ledger.Party{w.bank}, w.tid(), ledger.Record{
		"issuer": ledger.PartyValue(w.bank), "owner": ledger.PartyValue(w.alice),
		"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal(amount)}, "currency": ledger.TextValue("USD"),
	})); err != nil {
		w.t.Fatalf("propose: %v", err)
	}
	// The proposal of this amount (earlier ones may still be active).
	want := ledger.MustParseDecimal(amount).String()
	var id ledger.ContractID
	waitACS(w.t, w.ctx, w.traderNode, func(acs ledger.ContractMap) bool {
		for cid, c := range acs {
			if d, ok := c.Arguments["amount"].(ledger.DecimalValue); ok && c.Template.Name == "IouProposal" && d.String() == want {
				id = cid
				return true
			}
		}
		return false
	})
	return id
}

// proposalCmd is the bank's IOU proposal to alice.
func (w *chainWorld) proposalCmd(amount string) ledger.Command {
	return ledger.CreateCommand([]ledger.Party{w.bank}, w.tid(), ledger.Record{
		"issuer": ledger.PartyValue(w.bank), "owner": ledger.PartyValue(w.alice),
		"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal(amount)}, "currency": ledger.TextValue("USD"),
	})
}

func (w *chainWorld) tid() ledger.TemplateID {
	return ledger.TemplateID{Package: w.pkg.ID, Name: "IouProposal"}
}

func (w *chainWorld) accept(id ledger.ContractID) error {
	_, err := w.traderNode.Submit(w.ctx, ledger.ExerciseCommand([]ledger.Party{w.alice}, w.tid(), id, "Accept", ledger.Record{}))
	return err
}

// TestDoubleSpendOnARealChain: two concurrent acceptances of the same proposal: exactly
// one commits, the other is rejected (its input is locked by the first).
func TestDoubleSpendOnARealChain(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	w := newChainWorld(t, ctx)
	prop := w.propose("10")
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = w.accept(prop) }()
	}
	wg.Wait()
	committed, rejected := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			committed++
		case errors.Is(err, participant.ErrRejected):
			rejected++
		default:
			t.Fatalf("accept: %v", err)
		}
	}
	if committed != 1 || rejected != 1 {
		t.Fatalf("committed %d, rejected %d (errors %v); want exactly one of each", committed, rejected, errs)
	}
	waitACS(t, ctx, w.bankNode, func(acs ledger.ContractMap) bool { return countTemplate(acs, "Iou") == 1 })
}

// TestMediatorRestart: the mediator is wiped (a new process with no state) between
// transactions; it rebuilds its state from its stream, sends no verdict twice, and the
// next transaction is confirmed.
func TestMediatorRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	w := newChainWorld(t, ctx)
	if err := w.accept(w.propose("1")); err != nil {
		t.Fatal(err)
	}
	before := w.verdictCount()
	w.med.Stop()
	w.startMediator()
	if err := w.accept(w.propose("2")); err != nil {
		t.Fatalf("after the mediator restart: %v", err)
	}
	// Two more transactions, two more verdicts: nothing was sent twice.
	if got := w.verdictCount(); got != before+2 {
		t.Fatalf("mediator stream holds %d verdict receipts, want %d", got, before+2)
	}
}

// verdictCount counts the verdict receipts ("tr-…") on the mediator's stream.
func (w *chainWorld) verdictCount() int {
	r, release := w.net.Node(0).Snapshot()
	defer release()
	evs, err := readAll(r, w.net.Member("mediator").ID)
	if err != nil {
		w.t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if len(ev.MessageId) > 3 && ev.MessageId[:3] == "tr-" {
			n++
		}
	}
	return n
}
