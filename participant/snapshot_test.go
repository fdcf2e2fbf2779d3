package participant_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/ledger"
	mediatord "github.com/cometsync/cometsync/mediator/daemon"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/commitments"
	"github.com/cometsync/cometsync/participant/snapshot"
	"github.com/cometsync/cometsync/participant/store"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/testnet"
	"github.com/cometsync/cometsync/topology"
)

// iouEnv is a bank and a trader participant sharing an IOU on a chain with a reconciliation
// tick every second, and a poker giving both events after every tick.
type iouEnv struct {
	net              *testnet.Network
	pkg              *ledger.Package
	bankNode         *participant.Node
	bank, alice      ledger.Party
	bankID, traderID string
	traderCfg        func(*store.Store) participant.Config
	iou              ledger.ContractID
	committedAt      int64
	stopPoking       context.CancelFunc
}

func startIOUEnv(t *testing.T, ctx context.Context) (*iouEnv, *participant.Node, *store.Store) {
	t.Helper()
	specs := []testnet.MemberSpec{
		{Kind: crypto.KindParticipant, Name: "bankp"}, {Kind: crypto.KindParticipant, Name: "traderp"},
		{Kind: crypto.KindParticipant, Name: "pokerp"}, {Kind: crypto.KindMediator, Name: "mediator"},
	}
	e := &iouEnv{net: startChain(t, specs)}
	net := e.net
	pkg, pkgs := iouPackage(t)
	e.pkg = pkg
	med := net.Member("mediator")
	medEnc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	startMediator(t, ctx, mediatord.NodeConfig{Driver: driverConfig(net, med), EncryptionKey: medEnc})
	poker, err := driver.New(driverConfig(net, net.Member("pokerp")), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { poker.Close() })
	if err := poker.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	go func() { _ = poker.Subscribe(ctx, 0, func(context.Context, *pb.SequencedEvent) error { return nil }) }()
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
	traderEnc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	e.traderCfg = func(st *store.Store) participant.Config {
		return participant.Config{Driver: driverConfig(net, net.Member("traderp")), EncryptionKey: traderEnc, Packages: pkgs,
			Mediators: []string{med.ID}, Store: st}
	}
	traderStore := openClosedStore(t, filepath.Join(t.TempDir(), "trader-db"))
	bankEnc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	e.bankNode = startParticipant(t, ctx, participant.Config{Driver: driverConfig(net, net.Member("bankp")), EncryptionKey: bankEnc, Packages: pkgs, Mediators: []string{med.ID}})
	traderNode, err := participant.Start(ctx, e.traderCfg(traderStore))
	if err != nil {
		t.Fatal(err)
	}
	if err := traderNode.Register(ctx); err != nil {
		t.Fatal(err)
	}
	if e.bank, err = e.bankNode.AllocateParty(ctx, "Bank"); err != nil {
		t.Fatal(err)
	}
	if e.alice, err = traderNode.AllocateParty(ctx, "Alice"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*participant.Node{e.bankNode, traderNode} {
		for _, p := range []ledger.Party{e.bank, e.alice} {
			if err := n.WaitHosted(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.bankID, e.traderID = net.Member("bankp").ID, net.Member("traderp").ID
	e.iou = e.transferIOU(t, ctx, traderNode, "7")
	e.committedAt = time.Now().UnixMicro()

	pokeCtx, stopPoking := context.WithCancel(ctx)
	e.stopPoking = stopPoking
	t.Cleanup(stopPoking)
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			b := &pb.Batch{Envelopes: []*pb.Envelope{{Recipients: []*pb.Recipient{{Member: e.bankID}, {Member: e.traderID}}, Content: []byte("poke")}}}
			_, _ = poker.Send(pokeCtx, b, driver.SendOptions{})
			select {
			case <-pokeCtx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return e, traderNode, traderStore
}

func openClosedStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st := openStore(t, dir)
	t.Cleanup(func() { st.Close() })
	return st
}

// transferIOU has the bank propose an IOU of amount to Alice, who accepts it on trader.
func (e *iouEnv) transferIOU(t *testing.T, ctx context.Context, trader *participant.Node, amount string) ledger.ContractID {
	t.Helper()
	if _, err := e.bankNode.Submit(ctx, ledger.CreateCommand([]ledger.Party{e.bank}, ledger.TemplateID{Package: e.pkg.ID, Name: "IouProposal"}, ledger.Record{
		"issuer": ledger.PartyValue(e.bank), "owner": ledger.PartyValue(e.alice),
		"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal(amount)}, "currency": ledger.TextValue("EUR"),
	})); err != nil {
		t.Fatalf("create the proposal: %v", err)
	}
	amountIs := func(c *ledger.Contract) bool {
		d, ok := c.Arguments["amount"].(ledger.DecimalValue)
		return ok && d.Decimal.String() == ledger.MustParseDecimal(amount).String()
	}
	var prop ledger.ContractID
	waitACS(t, ctx, trader, func(acs ledger.ContractMap) bool {
		for id, c := range acs {
			if c.Template.Name == "IouProposal" && amountIs(c) {
				prop = id
				return true
			}
		}
		return false
	})
	if _, err := trader.Submit(ctx, ledger.ExerciseCommand([]ledger.Party{e.alice}, ledger.TemplateID{Package: e.pkg.ID, Name: "IouProposal"}, prop, "Accept", ledger.Record{})); err != nil {
		t.Fatalf("accept: %v", err)
	}
	var iou ledger.ContractID
	waitACS(t, ctx, trader, func(acs ledger.ContractMap) bool {
		for id, c := range acs {
			if c.Template.Name == "Iou" && amountIs(c) {
				iou = id
				return true
			}
		}
		return false
	})
	return iou
}

// TestRecoverFromSnapshot: the trader exports a signed ACS snapshot at its latest tick,
// its database is wiped and rebuilt from the snapshot plus its stream after it; the
// snapshot is verified against the bank's commitment for the tick, the ACS hash is the
// one before the wipe and the trader transacts. A snapshot with the IOU removed (re-signed)
// is refused naming the bank and the period; one with a contract changed and the old
// signature is refused for its signature.
func TestRecoverFromSnapshot(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	e, trader, _ := startIOUEnv(t, ctx)
	if _, err := trader.WaitCommitment(ctx, func(o commitments.Outcome) bool { return o.Counter == e.bankID && o.Start >= e.committedAt && o.Match }); err != nil {
		t.Fatalf("waiting for a matching commitment: %v", err)
	}
	snap, err := trader.ExportSnapshot(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := snap.ACS()[e.iou]; !ok || snap.Tick < e.committedAt-time.Second.Microseconds() {
		t.Fatalf("snapshot at tick %d (IOU committed by %d) without the IOU: %d contracts", snap.Tick, e.committedAt, len(snap.Contracts))
	}
	// The bank's commitment for the period holding the tick is on the chain: it computed
	// the period (it compared the trader's with it) and its outbox is empty.
	if _, err := e.bankNode.WaitCommitment(ctx, func(o commitments.Outcome) bool { return o.Counter == e.traderID && o.End >= snap.Tick }); err != nil {
		t.Fatal(err)
	}
	if err := e.bankNode.WaitProgress(ctx, func(p participant.Progress) bool { return p.Outbox == 0 }); err != nil {
		t.Fatal(err)
	}
	file := snap.Encode()
	before := trader.ACSHash()
	full := trader.Progress().NextCounter
	trader.Stop()
	decoded, err := snapshot.Decode(file)
	if err != nil {
		t.Fatal(err)
	}
	key := e.net.Member("traderp").Key

	// A snapshot that lost the IOU, signed by the trader: the bank's commitment disagrees.
	lost := snapshot.New(decoded.SynchronizerID, decoded.Participant, decoded.Tick, decoded.NextCounter, decoded.TimestampMicros, decoded.Offset, decoded.ACS(), nil)
	lost.Contracts = slices.DeleteFunc(lost.Contracts, func(c *ledger.Contract) bool { return c.ID == e.iou })
	lost.Sign(key)
	err = recoverInto(t, ctx, e, lost)
	if !errors.Is(err, snapshot.ErrCommitmentMismatch) || !strings.Contains(err.Error(), e.bankID) {
		t.Fatalf("snapshot without the IOU: %v, want a mismatch with %s", err, e.bankID)
	}
	t.Logf("tampered snapshot refused: %v", err)
	// A changed contract under the original signature.
	changed, _ := snapshot.Decode(file)
	for i, c := range changed.Contracts {
		if c.ID == e.iou {
			cc := *c
			cc.Arguments = ledger.Record{"issuer": c.Arguments["issuer"], "owner": c.Arguments["owner"], "amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal("7000")}, "currency": c.Arguments["currency"]}
			changed.Contracts[i] = &cc
		}
	}
	if err := recoverInto(t, ctx, e, changed); !errors.Is(err, snapshot.ErrBadSignature) {
		t.Fatalf("changed contract: %v, want a bad signature", err)
	}

	// The bank's snapshot, for the part the trader shares with it: the trader's own
	// stream position at the bank's tick is found on the chain, the bank's commitment to
	// the trader verifies it, and (all the trader's contracts being shared with the
	// bank) the ACS hash is the one before the wipe.
	// The bank also holds a contract of its own, which the trader must not import.
	if _, err := e.bankNode.Submit(ctx, ledger.CreateCommand([]ledger.Party{e.bank}, ledger.TemplateID{Package: e.pkg.ID, Name: "IouProposal"}, ledger.Record{
		"issuer": ledger.PartyValue(e.bank), "owner": ledger.PartyValue(e.bank),
		"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal("1")}, "currency": ledger.TextValue("EUR"),
	})); err != nil {
		t.Fatal(err)
	}
	var bankSnap *snapshot.Snapshot
	if err := e.bankNode.WaitProgress(ctx, func(participant.Progress) bool {
		bankSnap, err = e.bankNode.ExportSnapshot(0, nil)
		return err == nil && len(bankSnap.Contracts) == 2
	}); err != nil {
		t.Fatalf("no bank snapshot with its own contract: %v", err)
	}
	foreign, err := snapshot.Decode(bankSnap.Encode())
	if err != nil {
		t.Fatal(err)
	}
	fcfg := e.traderCfg(openClosedStore(t, filepath.Join(t.TempDir(), "trader-from-bank")))
	fcfg.VerifySnapshot = foreign
	fromBank, err := participant.Start(ctx, fcfg)
	if err != nil {
		t.Fatal(err)
	}
	verified, err := fromBank.WaitSnapshotVerified(ctx)
	if err != nil || !slices.Contains(verified, e.bankID) {
		t.Fatalf("recovery from the bank's snapshot: verified by %v: %v", verified, err)
	}
	if err := fromBank.WaitACS(ctx, func(acs ledger.ContractMap) bool { return acs[e.iou] != nil }); err != nil {
		t.Fatal(err)
	}
	if fromBank.ImportedContracts() != 1 {
		t.Fatalf("imported %d of the bank's contracts, want the shared IOU only", fromBank.ImportedContracts())
	}
	if got := fromBank.ACSHash(); !bytes.Equal(got, before) {
		t.Fatalf("ACS hash %x after recovery from the bank's snapshot, %x before the wipe", got, before)
	}
	t.Logf("recovered from the bank's snapshot at tick %d: %d of its %d contracts imported, stream position %d",
		foreign.Tick, fromBank.ImportedContracts(), len(foreign.Contracts), fromBank.ImportedAt())
	fromBank.Stop()

	// The real one.
	st := openClosedStore(t, filepath.Join(t.TempDir(), "trader-recovered"))
	start := time.Now()
	if err := participant.ImportSnapshot(st, decoded); err != nil {
		t.Fatal(err)
	}
	cfg := e.traderCfg(st)
	cfg.VerifySnapshot = decoded
	recovered, err := participant.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer recovered.Stop()
	verified, err = recovered.WaitSnapshotVerified(ctx)
	if err != nil || !slices.Contains(verified, e.bankID) {
		t.Fatalf("verification: %v %v", verified, err)
	}
	if err := recovered.WaitProgress(ctx, func(p participant.Progress) bool { return p.NextCounter >= full }); err != nil {
		t.Fatal(err)
	}
	t.Logf("recovered from the snapshot at tick %d (%d contracts, counter %d): %d events replayed up to counter %d in %s",
		decoded.Tick, len(decoded.Contracts), decoded.NextCounter, full-decoded.NextCounter, full, time.Since(start))
	if got := recovered.ACSHash(); !bytes.Equal(got, before) {
		t.Fatalf("ACS hash %x after recovery, %x before the wipe", got, before)
	}
	// It transacts: a new IOU, and the old one is still there to be spent.
	e.transferIOU(t, ctx, recovered, "8")
	if _, ok := recovered.ACS()[e.iou]; !ok {
		t.Fatal("the IOU from before the snapshot is gone")
	}
}

// recoverInto rebuilds a fresh database from s and returns what the verification says.
func recoverInto(t *testing.T, ctx context.Context, e *iouEnv, s *snapshot.Snapshot) error {
	t.Helper()
	st := openClosedStore(t, filepath.Join(t.TempDir(), "trader-tampered"))
	if err := participant.ImportSnapshot(st, s); err != nil {
		t.Fatal(err)
	}
	cfg := e.traderCfg(st)
	cfg.VerifySnapshot = s
	n, err := participant.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer n.Stop()
	_, err = n.WaitSnapshotVerified(ctx)
	return err
}
