package participant_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/ledger"
	mediatord "github.com/cometsync/cometsync/mediator/daemon"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/commitments"
	"github.com/cometsync/cometsync/participant/store"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/testnet"
	"github.com/cometsync/cometsync/topology"
)

// TestACSCommitmentsDetectATamperedStore: two participants that share an IOU exchange
// ACS commitments at every reconciliation tick and find them equal; after one
// participant's database lost the IOU (removed by hand while it was stopped), its
// counter-participant reports the mismatch with the period at the next tick, and so
// does the damaged participant.
func TestACSCommitmentsDetectATamperedStore(t *testing.T) {
	specs := []testnet.MemberSpec{
		{Kind: crypto.KindParticipant, Name: "bankp"}, {Kind: crypto.KindParticipant, Name: "traderp"},
		{Kind: crypto.KindParticipant, Name: "pokerp"}, {Kind: crypto.KindMediator, Name: "mediator"},
	}
	net := startChain(t, specs)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	pkg, pkgs := iouPackage(t)
	med := net.Member("mediator")
	medEnc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	startMediator(t, ctx, mediatord.NodeConfig{Driver: driverConfig(net, med), EncryptionKey: medEnc})

	// A poker: a member whose batches (junk for the engine) give both participants events
	// after every tick, as any traffic would.
	poker, err := driver.New(driverConfig(net, net.Member("pokerp")), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer poker.Close()
	if err := poker.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	go func() { _ = poker.Subscribe(ctx, 0, func(context.Context, *pb.SequencedEvent) error { return nil }) }()

	// A reconciliation tick every second, on-chain, as the synchronizer owner sets it.
	ts, err := poker.DownloadTopologyState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	params, _ := ts.State.Head().Parameters()
	params.ReconciliationIntervalMicros = time.Second.Microseconds()
	syncKey, err := net.SynchronizerKey()
	if err != nil {
		t.Fatal(err)
	}
	ptx, err := topology.NewTransaction(topopb.Operation_OPERATION_REPLACE, 2, topology.NewSynchronizerParameters(ts.State.Head().Synchronizer(), params))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := poker.SendAndWait(ctx, &pb.Batch{Envelopes: []*pb.Envelope{{
		Recipients: []*pb.Recipient{{Group: pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER}}, Content: topology.Sign(ptx, false, syncKey).Marshal(),
	}}}, driver.SendOptions{}); err != nil {
		t.Fatal(err)
	}

	traderDir := filepath.Join(t.TempDir(), "trader-db")
	traderEnc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	traderCfg := func(st *store.Store) participant.Config {
		return participant.Config{Driver: driverConfig(net, net.Member("traderp")), EncryptionKey: traderEnc, Packages: pkgs,
			Mediators: []string{med.ID}, Store: st}
	}
	traderStore, err := store.Open(traderDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	bankEnc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	bankNode := startParticipant(t, ctx, participant.Config{Driver: driverConfig(net, net.Member("bankp")), EncryptionKey: bankEnc, Packages: pkgs, Mediators: []string{med.ID}})
	traderNode, err := participant.Start(ctx, traderCfg(traderStore))
	if err != nil {
		t.Fatal(err)
	}
	if err := traderNode.Register(ctx); err != nil {
		t.Fatal(err)
	}
	bank, err := bankNode.AllocateParty(ctx, "Bank")
	if err != nil {
		t.Fatal(err)
	}
	alice, err := traderNode.AllocateParty(ctx, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []*participant.Node{bankNode, traderNode} {
		for _, p := range []ledger.Party{bank, alice} {
			if err := n.WaitHosted(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	bankID, traderID := net.Member("bankp").ID, net.Member("traderp").ID
	tmpl := ledger.TemplateID{Package: pkg.ID, Name: "Iou"}
	if _, err := bankNode.Submit(ctx, ledger.CreateCommand([]ledger.Party{bank}, ledger.TemplateID{Package: pkg.ID, Name: "IouProposal"}, ledger.Record{
		"issuer": ledger.PartyValue(bank), "owner": ledger.PartyValue(alice),
		"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal("7")}, "currency": ledger.TextValue("EUR"),
	})); err != nil {
		t.Fatalf("create the proposal: %v", err)
	}
	var prop ledger.ContractID
	waitACS(t, ctx, traderNode, func(acs ledger.ContractMap) bool {
		for id, c := range acs {
			if c.Template.Name == "IouProposal" {
				prop = id
				return true
			}
		}
		return false
	})
	if _, err := traderNode.Submit(ctx, ledger.ExerciseCommand([]ledger.Party{alice}, ledger.TemplateID{Package: pkg.ID, Name: "IouProposal"}, prop, "Accept", ledger.Record{})); err != nil {
		t.Fatalf("accept: %v", err)
	}
	var iou ledger.ContractID
	waitACS(t, ctx, traderNode, func(acs ledger.ContractMap) bool {
		for id, c := range acs {
			if c.Template == tmpl {
				iou = id
				return true
			}
		}
		return false
	})
	committedAt := time.Now().UnixMicro()

	pokeCtx, stopPoking := context.WithCancel(ctx)
	defer stopPoking()
	go func() { // traffic for both participants, a few batches per tick
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			b := &pb.Batch{Envelopes: []*pb.Envelope{{Recipients: []*pb.Recipient{{Member: bankID}, {Member: traderID}}, Content: []byte("poke")}}}
			_, _ = poker.Send(pokeCtx, b, driver.SendOptions{})
			select {
			case <-pokeCtx.Done():
				return
			case <-tick.C:
			}
		}
	}()

	// Both sides agree on a period after the IOU was committed.
	for _, c := range []struct {
		n       *participant.Node
		counter string
	}{{bankNode, traderID}, {traderNode, bankID}} {
		o, err := c.n.WaitCommitment(ctx, func(o commitments.Outcome) bool { return o.Counter == c.counter && o.Start >= committedAt })
		if err != nil {
			t.Fatalf("waiting for a commitment from %s: %v", c.counter, err)
		}
		if !o.Match || bytes.Equal(o.Own, commitments.Empty()) {
			t.Fatalf("honest participants: %v (the IOU is shared: not the empty set's commitment)", o)
		}
	}

	// The trader's database loses the IOU while it is stopped.
	traderNode.Stop()
	db := traderStore.DB()
	txn := db.NewTransaction(true)
	for _, k := range []string{"participant/active/" + string(iou), "participant/contract/" + string(iou)} {
		if err := txn.Delete([]byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	tamperedAt := time.Now().UnixMicro()
	traderNode, err = participant.Start(ctx, traderCfg(traderStore))
	if err != nil {
		t.Fatal(err)
	}
	defer traderNode.Stop()
	if _, ok := traderNode.ACS()[iou]; ok {
		t.Fatal("the tampered database still holds the IOU")
	}
	o, err := bankNode.WaitCommitment(ctx, func(o commitments.Outcome) bool { return o.Counter == traderID && !o.Match })
	if err != nil {
		t.Fatalf("the bank never reported the mismatch: %v", err)
	}
	if o.End <= tamperedAt || o.Start < committedAt || bytes.Equal(o.Own, o.Their) {
		t.Fatalf("mismatch reported for (%d, %d], tampered at %d: %v", o.Start, o.End, tamperedAt, o)
	}
	if _, err := traderNode.WaitCommitment(ctx, func(o commitments.Outcome) bool { return o.Counter == bankID && !o.Match }); err != nil {
		t.Fatalf("the damaged trader never reported the mismatch: %v", err)
	}
	stopPoking()
	traderNode.Stop()
	if err := traderStore.Close(); err != nil {
		t.Fatal(err)
	}
}
