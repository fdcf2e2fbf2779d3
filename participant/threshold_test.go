package participant_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/ledger"
	mediatord "github.com/cometsync/cometsync/mediator/daemon"
	"github.com/cometsync/cometsync/participant"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/testnet"
	"github.com/cometsync/cometsync/topology"
)

// TestPartyHostedOnThreeParticipantsWithThreshold2 (seed 004): Alice is hosted on p1
// (submission), p2 and p3 (confirmation) with confirmation threshold 2. With p3 stopped,
// p1 and p2 confirm and her acceptance commits; with p2 stopped as well, one confirmation
// is not enough: the mediator rejects at the decision time (which the synchronizer
// owner shortened on-chain) and nothing is committed anywhere.
func TestPartyHostedOnThreeParticipantsWithThreshold2(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	specs := []testnet.MemberSpec{{Kind: crypto.KindMediator, Name: "mediator"}}
	for _, n := range []string{"bankp", "p1", "p2", "p3"} {
		specs = append(specs, testnet.MemberSpec{Kind: crypto.KindParticipant, Name: n})
	}
	net := startChain(t, specs)
	pkg, pkgs := iouPackage(t)
	medEnc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	mp := startMediator(t, ctx, mediatord.NodeConfig{Driver: driverConfig(net, net.Member("mediator")), EncryptionKey: medEnc})
	nodes := map[string]*participant.Node{}
	for _, name := range []string{"bankp", "p1", "p2", "p3"} {
		enc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
		nodes[name] = startParticipant(t, ctx, participant.Config{Driver: driverConfig(net, net.Member(name)), EncryptionKey: enc, Packages: pkgs,
			Mediators: []string{net.Member("mediator").ID}})
	}
	bank, err := nodes["bankp"].AllocateParty(ctx, "Bank")
	if err != nil {
		t.Fatal(err)
	}

	// Alice lives in p1's namespace; hosting her needs p1's (the namespace owner's and a
	// host's) signature and the consent of p2 and p3.
	member := func(name string) crypto.Member {
		m, err := crypto.ParseMember(net.Member(name).ID)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	dc, err := driver.New(driverConfig(net, net.Member("p1")), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	go func() { _ = dc.Subscribe(ctx, 0, func(context.Context, *pb.SequencedEvent) error { return nil }) }() // resolves receipts
	// The synchronizer owner shortens the decision timeout to 3 s (serial 2 of the
	// parameters), so that the rejection below comes soon.
	ts, err := dc.DownloadTopologyState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	params, _ := ts.State.Head().Parameters()
	params.DecisionTimeoutMicros = (3 * time.Second).Microseconds()
	syncKey, err := net.SynchronizerKey()
	if err != nil {
		t.Fatal(err)
	}
	ptx, err := topology.NewTransaction(topopb.Operation_OPERATION_REPLACE, 2, topology.NewSynchronizerParameters(ts.State.Head().Synchronizer(), params))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dc.SendAndWait(ctx, &pb.Batch{Envelopes: []*pb.Envelope{{
		Recipients: []*pb.Recipient{{Group: pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER}}, Content: topology.Sign(ptx, false, syncKey).Marshal(),
	}}}, driver.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	aliceUID, _ := crypto.NewUID("Alice", member("p1").UID.Namespace)
	tx, err := topology.NewTransaction(topopb.Operation_OPERATION_REPLACE, 1, topology.NewPartyToParticipant(aliceUID, 2,
		topology.Host(member("p1"), topopb.ParticipantPermission_PARTICIPANT_PERMISSION_SUBMISSION),
		topology.Host(member("p2"), topopb.ParticipantPermission_PARTICIPANT_PERMISSION_CONFIRMATION),
		topology.Host(member("p3"), topopb.ParticipantPermission_PARTICIPANT_PERMISSION_CONFIRMATION)))
	if err != nil {
		t.Fatal(err)
	}
	signed := topology.Sign(tx, false, net.Member("p1").Key, net.Member("p2").Key, net.Member("p3").Key)
	if _, err := dc.SendAndWait(ctx, &pb.Batch{Envelopes: []*pb.Envelope{{
		Recipients: []*pb.Recipient{{Group: pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER}}, Content: signed.Marshal(),
	}}}, driver.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	alice := ledger.Party(aliceUID.String())
	for _, n := range nodes {
		for _, p := range []ledger.Party{bank, alice} {
			if err := n.WaitHosted(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Every member that applied its stream up to the last topology transaction holds the
	// validator's topology state, byte for byte (equal hashes over the whole state).
	want := net.Node(0).Machine().TopologyHash()
	for name, n := range nodes {
		if got := n.TopologyHash(); !bytes.Equal(got, want) {
			t.Fatalf("participant %s's topology state differs from the validator's", name)
		}
	}
	if err := mp.WaitTopology(ctx, want); err != nil {
		t.Fatalf("the mediator's topology state never equalled the validator's: %v", err)
	}

	tid := ledger.TemplateID{Package: pkg.ID, Name: "IouProposal"}
	propose := func(amount string) ledger.ContractID {
		t.Helper()
		if _, err := nodes["bankp"].Submit(ctx, ledger.CreateCommand([]ledger.Party{bank}, tid, ledger.Record{
			"issuer": ledger.PartyValue(bank), "owner": ledger.PartyValue(alice),
			"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal(amount)}, "currency": ledger.TextValue("USD"),
		})); err != nil {
			t.Fatalf("propose: %v", err)
		}
		var id ledger.ContractID
		waitACS(t, ctx, nodes["p1"], func(acs ledger.ContractMap) bool {
			for cid, c := range acs {
				if c.Template.Name == "IouProposal" {
					id = cid
					return true
				}
			}
			return false
		})
		return id
	}
	accept := func(id ledger.ContractID) error {
		_, err := nodes["p1"].Submit(ctx, ledger.ExerciseCommand([]ledger.Party{alice}, tid, id, "Accept", ledger.Record{}))
		return err
	}

	nodes["p3"].Stop()
	if err := accept(propose("1")); err != nil {
		t.Fatalf("with p3 stopped, p1 and p2 meet the threshold: %v", err)
	}
	for _, name := range []string{"bankp", "p1", "p2"} {
		waitACS(t, ctx, nodes[name], func(acs ledger.ContractMap) bool { return countTemplate(acs, "Iou") == 1 })
	}

	prop := propose("2")
	nodes["p2"].Stop()
	err = accept(prop)
	if !errors.Is(err, participant.ErrRejected) {
		t.Fatalf("with p2 and p3 stopped: %v, want a rejection", err)
	}
	t.Logf("rejected as expected: %v", err)
	for _, name := range []string{"bankp", "p1"} {
		acs := nodes[name].ACS()
		if countTemplate(acs, "Iou") != 1 || countTemplate(acs, "IouProposal") != 1 {
			t.Fatalf("%s after the rejection: %d IOUs, %d proposals (want 1 and 1)", name, countTemplate(acs, "Iou"), countTemplate(acs, "IouProposal"))
		}
	}
}
