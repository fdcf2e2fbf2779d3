package participant_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/commitments"
	"github.com/cometsync/cometsync/participant/engine"
	"github.com/cometsync/cometsync/participant/snapshot"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/testnet"
	"github.com/cometsync/cometsync/topology"
)

// replWorld is a chainWorld with a third participant (newp) and a poker that gives
// every participant an event a few times per reconciliation tick (one second here).
type replWorld struct {
	*chainWorld
	poker   *driver.Client
	newNode *participant.Node
	serial  uint64 // of Alice's PartyToParticipant
}

func newReplWorld(t *testing.T, ctx context.Context, adjust ...func(*topopb.SynchronizerParameters)) *replWorld {
	w := &replWorld{chainWorld: newChainWorld(t, ctx, testnet.MemberSpec{Kind: crypto.KindParticipant, Name: "newp"},
		testnet.MemberSpec{Kind: crypto.KindParticipant, Name: "pokerp"}), serial: 1}
	poker, err := driver.New(driverConfig(w.net, w.net.Member("pokerp")), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { poker.Close() })
	if err := poker.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	go func() { _ = poker.Subscribe(ctx, 0, func(context.Context, *pb.SequencedEvent) error { return nil }) }()
	w.poker = poker
	ts, err := poker.DownloadTopologyState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	params, _ := ts.State.Head().Parameters()
	params.ReconciliationIntervalMicros = time.Second.Microseconds()
	for _, f := range adjust {
		f(params)
	}
	syncKey, err := w.net.SynchronizerKey()
	if err != nil {
		t.Fatal(err)
	}
	ptx, err := topology.NewTransaction(topopb.Operation_OPERATION_REPLACE, 2, topology.NewSynchronizerParameters(ts.State.Head().Synchronizer(), params))
	if err != nil {
		t.Fatal(err)
	}
	w.topologyTx(topology.Sign(ptx, false, syncKey))
	w.newNode = w.startNode("newp", nil)
	ids := []string{w.net.Member("bankp").ID, w.net.Member("traderp").ID, w.net.Member("newp").ID}
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			var rs []*pb.Recipient
			for _, id := range ids {
				rs = append(rs, &pb.Recipient{Member: id})
			}
			_, _ = poker.Send(ctx, &pb.Batch{Envelopes: []*pb.Envelope{{Recipients: rs, Content: []byte("poke")}}}, driver.SendOptions{})
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (w *replWorld) topologyTx(stx *topology.SignedTransaction) {
	w.t.Helper()
	if _, err := w.poker.SendAndWait(w.ctx, &pb.Batch{Envelopes: []*pb.Envelope{{
		Recipients: []*pb.Recipient{{Group: pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER}}, Content: stx.Marshal(),
	}}}, driver.SendOptions{}); err != nil {
		w.t.Fatal(err)
	}
}

func (w *replWorld) member(name string) crypto.Member {
	m, err := crypto.ParseMember(w.net.Member(name).ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

// hostAlice replaces Alice's PartyToParticipant with hosts (signed by Alice's namespace,
// the trader's, and every host) and waits until every node sees it.
func (w *replWorld) hostAlice(hosts map[string]topopb.ParticipantPermission) {
	w.t.Helper()
	uid, err := crypto.ParseUID(string(w.alice))
	if err != nil {
		w.t.Fatal(err)
	}
	var hs []*topopb.HostingParticipant
	signers := []crypto.SigningPrivateKey{w.net.Member("traderp").Key}
	for _, name := range []string{"traderp", "newp"} {
		if p, ok := hosts[name]; ok {
			hs = append(hs, topology.Host(w.member(name), p))
			if name != "traderp" {
				signers = append(signers, w.net.Member(name).Key)
			}
		}
	}
	w.serial++
	tx, err := topology.NewTransaction(topopb.Operation_OPERATION_REPLACE, w.serial, topology.NewPartyToParticipant(uid, 1, hs...))
	if err != nil {
		w.t.Fatal(err)
	}
	w.topologyTx(topology.Sign(tx, false, signers...))
	for _, n := range []*participant.Node{w.bankNode, w.traderNode, w.newNode} {
		if err := n.WaitTopology(w.ctx, func(s *topology.Snapshot) bool {
			ptp, ok := s.PartyToParticipant(string(w.alice))
			if !ok || len(ptp.Participants) != len(hs) {
				return false
			}
			for _, h := range ptp.Participants {
				if h.Permission != hosts[w.name(h.Participant)] {
					return false
				}
			}
			return true
		}); err != nil {
			w.t.Fatal(err)
		}
	}
}

func (w *replWorld) name(id string) string {
	for _, n := range []string{"bankp", "traderp", "newp"} {
		if w.net.Member(n).ID == id {
			return n
		}
	}
	return id
}

// aliceHash is the ACS hash over the contracts with Alice as a stakeholder.
func (w *replWorld) aliceHash(acs ledger.ContractMap) []byte {
	out := ledger.ContractMap{}
	for id, c := range acs {
		if slices.Contains(c.Stakeholders(), w.alice) {
			out[id] = c
		}
	}
	return engine.ACSHash(out)
}

// TestPartyReplication: Alice, hosted on the trader's participant with contracts, is
// replicated to a third participant (newp) with her active contracts; a transaction in
// flight across the import point (awaiting its verdict at the tick) is not lost; Alice then spends, from newp, a proposal created
// before the move; the trader is removed as her host, and the bank and newp agree on
// their shared contracts (ACS hashes and ACS commitments). A snapshot signed by a
// participant that does not host Alice, one tampered with, and one re-signed without a
// contract are refused with their reasons; a replay of newp rebuilds the same ACS.
func TestPartyReplication(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	w := newReplWorld(t, ctx)
	if err := w.accept(w.propose("1")); err != nil {
		t.Fatal(err)
	}
	inFlight, later := w.propose("2"), w.propose("3")

	// (a) newp becomes an observing host of Alice.
	obs, sub := topopb.ParticipantPermission_PARTICIPANT_PERMISSION_OBSERVATION, topopb.ParticipantPermission_PARTICIPANT_PERMISSION_SUBMISSION
	w.hostAlice(map[string]topopb.ParticipantPermission{"traderp": sub, "newp": obs})

	// A transaction in flight across the move: sequenced while the mediator is down, so
	// it awaits its verdict at the tick of (b) the export at the trader's next tick.
	w.med.Stop()
	done := w.acceptAsync(inFlight)
	if err := w.traderNode.WaitProgress(ctx, func(p participant.Progress) bool { return p.Pending == 1 }); err != nil {
		t.Fatal(err)
	}
	snap, err := w.traderNode.ExportParty(ctx, []ledger.Party{w.alice})
	if err != nil {
		t.Fatal(err)
	}
	w.startMediator()
	if len(snap.Contracts) < 2 {
		t.Fatalf("the snapshot holds %d contracts, want Alice's IOU and proposals", len(snap.Contracts))
	}
	im := participant.PartyImport{Party: w.alice, Snapshot: snap}
	traderID := w.net.Member("traderp").ID
	if _, err := w.newNode.WaitCommitment(ctx, func(o commitments.Outcome) bool { return o.Counter == traderID && o.End == snap.Tick }); err != nil {
		t.Fatal(err)
	}
	rep, err := w.newNode.CheckImport(ctx, im)
	if err != nil || !slices.Equal(rep.Checked, []string{w.net.Member("newp").ID}) {
		t.Fatalf("check the import: %+v, %v; want checked against the trader's commitment to newp", rep, err)
	}

	// Refused snapshots: signed by a participant that does not host Alice, tampered
	// with, and re-signed by the trader's key without a contract.
	bankSnap, err := w.bankNode.ExportParty(ctx, []ledger.Party{w.alice})
	if err != nil {
		t.Fatal(err)
	}
	bankImport := participant.PartyImport{Party: w.alice, Snapshot: bankSnap}
	if _, err := w.newNode.CheckImport(ctx, bankImport); !errors.Is(err, participant.ErrSignerNotHost) {
		t.Fatalf("a snapshot signed by the bank: %v, want %v", err, participant.ErrSignerNotHost)
	}
	tampered, _ := snapshot.Decode(snap.Encode())
	tampered.Contracts = tampered.Contracts[1:]
	if _, err := w.newNode.CheckImport(ctx, participant.PartyImport{Party: w.alice, Snapshot: tampered}); !errors.Is(err, snapshot.ErrBadSignature) {
		t.Fatalf("a tampered snapshot: %v, want %v", err, snapshot.ErrBadSignature)
	}
	tampered.Sign(w.net.Member("traderp").Key)
	if _, err := w.newNode.CheckImport(ctx, participant.PartyImport{Party: w.alice, Snapshot: tampered}); !errors.Is(err, snapshot.ErrCommitmentMismatch) {
		t.Fatalf("a snapshot without a contract: %v, want %v", err, snapshot.ErrCommitmentMismatch)
	}

	// (c) newp restarts with the import: it replays its stream and imports at the tick.
	w.newNode.Stop()
	startNew := func() *participant.Node {
		return startParticipant(t, ctx, participant.Config{
			Driver: driverConfig(w.net, w.net.Member("newp")), EncryptionKey: w.encs["newp"], Packages: w.pkgs,
			Mediators: []string{w.net.Member("mediator").ID}, Imports: []participant.PartyImport{im, bankImport},
		})
	}
	w.newNode = startNew()
	out, err := w.newNode.WaitImport(ctx, im)
	if err != nil || out.Err != nil || out.Offset == 0 || len(out.Report.Rearmed) != 1 {
		t.Fatalf("import: %+v, %v; want applied, with the request in flight re-armed", out, err)
	}
	// Replayed with the import, newp's own commitment for the period ending at the tick
	// covers the imported contracts: it now matches the trader's, sequenced on the chain.
	if o, err := w.newNode.WaitCommitment(ctx, func(o commitments.Outcome) bool { return o.Counter == traderID && o.End == snap.Tick }); err != nil || !o.Match {
		t.Fatalf("newp's commitment for the tick after the import: %v, %v; want a match", o, err)
	}
	// The bank's snapshot, configured too, is refused when its tick comes, with its
	// reason; the node goes on.
	if out, err := w.newNode.WaitImport(ctx, bankImport); err != nil || !errors.Is(out.Err, participant.ErrImportRefused) || !errors.Is(out.Err, participant.ErrSignerNotHost) {
		t.Fatalf("the bank's snapshot as an import: %+v, %v; want refused, %v", out, err, participant.ErrSignerNotHost)
	}
	if err := <-done; err != nil {
		t.Fatalf("the transaction in flight during the move: %v", err)
	}
	settled := func(acs ledger.ContractMap) bool {
		return countTemplate(acs, "Iou") == 2 && countTemplate(acs, "IouProposal") == 1
	}
	waitACS(t, ctx, w.traderNode, settled)
	waitACS(t, ctx, w.newNode, settled)
	if got, want := w.aliceHash(w.newNode.ACS()), w.aliceHash(w.traderNode.ACS()); !bytes.Equal(got, want) {
		t.Fatalf("Alice's contracts on newp %x, on the trader %x", got, want)
	}

	// (d) newp may submit for Alice: she accepts, from newp, a proposal from before the move.
	w.hostAlice(map[string]topopb.ParticipantPermission{"traderp": sub, "newp": sub})
	if _, err := w.newNode.Submit(ctx, ledger.ExerciseCommand([]ledger.Party{w.alice}, w.tid(), later, "Accept", ledger.Record{})); err != nil {
		t.Fatalf("Alice spends a contract created before the move from newp: %v", err)
	}

	// Remove the trader as Alice's host; she transacts on newp alone.
	w.hostAlice(map[string]topopb.ParticipantPermission{"newp": sub})
	removedAt := time.Now().UnixMicro()
	if _, err := w.bankNode.Submit(ctx, w.proposalCmd("4")); err != nil {
		t.Fatal(err)
	}
	var last ledger.ContractID
	waitACS(t, ctx, w.newNode, func(acs ledger.ContractMap) bool {
		for id, c := range acs {
			if d, ok := c.Arguments["amount"].(ledger.DecimalValue); ok && c.Template.Name == "IouProposal" && d.String() == ledger.MustParseDecimal("4").String() {
				last = id
			}
		}
		return last != ""
	})
	if _, err := w.newNode.Submit(ctx, ledger.ExerciseCommand([]ledger.Party{w.alice}, w.tid(), last, "Accept", ledger.Record{})); err != nil {
		t.Fatalf("Alice on newp alone: %v", err)
	}
	final := func(acs ledger.ContractMap) bool {
		return countTemplate(acs, "Iou") == 4 && countTemplate(acs, "IouProposal") == 0
	}
	waitACS(t, ctx, w.bankNode, final)
	waitACS(t, ctx, w.newNode, final)
	if got, want := w.aliceHash(w.newNode.ACS()), w.aliceHash(w.bankNode.ACS()); !bytes.Equal(got, want) {
		t.Fatalf("Alice's contracts on newp %x, on the bank %x", got, want)
	}
	// The old host drops Alice's contracts at its first tick after its removal (it
	// receives nothing of hers any more): they count in no commitment.
	waitACS(t, ctx, w.traderNode, func(acs ledger.ContractMap) bool { return len(acs) == 0 })
	newID, bankID := w.net.Member("newp").ID, w.net.Member("bankp").ID
	for _, c := range []struct {
		n       *participant.Node
		counter string
	}{{w.bankNode, newID}, {w.newNode, bankID}} {
		o, err := c.n.WaitCommitment(ctx, func(o commitments.Outcome) bool { return o.Counter == c.counter && o.Start > removedAt })
		if err != nil {
			t.Fatal(err)
		}
		if !o.Match || bytes.Equal(o.Own, commitments.Empty()) {
			t.Fatalf("bank and newp after the move: %v", o)
		}
	}
	for _, o := range w.bankNode.CommitmentOutcomes() {
		if o.Start > removedAt && !o.Match {
			t.Fatalf("a mismatch after the move: %v", o)
		}
	}

	// A replay of newp from counter 0 with the same import rebuilds the same ACS.
	before := w.newNode.ACSHash()
	w.newNode.Stop()
	w.newNode = startNew()
	if err := w.newNode.WaitACS(ctx, func(acs ledger.ContractMap) bool { return bytes.Equal(engine.ACSHash(acs), before) }); err != nil {
		t.Fatalf("replay with the import: %v", err)
	}
}
