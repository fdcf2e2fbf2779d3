package participant_test

import (
	"context"
	"errors"
	"strings"
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

// TestMediatorGroupWithThreshold2: mediator group 0 has two mediators and, set by the
// synchronizer owner on-chain, threshold 2. With both running, a proposal commits (the
// participants count two identical verdicts); with one stopped, the other's verdict
// alone does not decide: the request times out at the participants on sequencer time,
// nothing is committed and the input is free again.
func TestMediatorGroupWithThreshold2(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	specs := []testnet.MemberSpec{
		{Kind: crypto.KindMediator, Name: "med1"}, {Kind: crypto.KindMediator, Name: "med2"},
		{Kind: crypto.KindParticipant, Name: "bankp"}, {Kind: crypto.KindParticipant, Name: "traderp"},
	}
	net := startChain(t, specs)
	meds := map[string]*mediatord.Node{}
	for _, name := range []string{"med1", "med2"} {
		enc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
		meds[name] = startMediator(t, ctx, mediatord.NodeConfig{Driver: driverConfig(net, net.Member(name)), EncryptionKey: enc})
	}
	pkg, pkgs := iouPackage(t)
	nodes := map[string]*participant.Node{}
	for _, name := range []string{"bankp", "traderp"} {
		enc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
		// No configured mediators: the informee tree is sealed to the group's active
		// mediators as the topology states them.
		nodes[name] = startParticipant(t, ctx, participant.Config{Driver: driverConfig(net, net.Member(name)), EncryptionKey: enc, Packages: pkgs})
	}
	bank, err := nodes["bankp"].AllocateParty(ctx, "Bank")
	if err != nil {
		t.Fatal(err)
	}
	alice, err := nodes["traderp"].AllocateParty(ctx, "Alice")
	if err != nil {
		t.Fatal(err)
	}

	// The owner raises the group's threshold to 2 and shortens the timings.
	dc, err := driver.New(driverConfig(net, net.Member("bankp")), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	go func() { _ = dc.Subscribe(ctx, 0, func(context.Context, *pb.SequencedEvent) error { return nil }) }()
	ts, err := dc.DownloadTopologyState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	head := ts.State.Head()
	sync := head.Synchronizer()
	mg, ok := head.MediatorGroup(0)
	if !ok || len(mg.Active) != 2 {
		t.Fatalf("mediator group 0 at genesis: %+v", mg)
	}
	var active []crypto.Member
	for _, id := range mg.Active {
		m, err := crypto.ParseMember(id)
		if err != nil {
			t.Fatal(err)
		}
		active = append(active, m)
	}
	params, _ := head.Parameters()
	params.DecisionTimeoutMicros, params.MediatorReactionTimeoutMicros = (2 * time.Second).Microseconds(), (2 * time.Second).Microseconds()
	syncKey, err := net.SynchronizerKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*topopb.TopologyMapping{topology.NewMediatorState(sync, 0, 2, active), topology.NewSynchronizerParameters(sync, params)} {
		tx, err := topology.NewTransaction(topopb.Operation_OPERATION_REPLACE, 2, m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dc.SendAndWait(ctx, &pb.Batch{Envelopes: []*pb.Envelope{{
			Recipients: []*pb.Recipient{{Group: pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER}}, Content: topology.Sign(tx, false, syncKey).Marshal(),
		}}}, driver.SendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range nodes {
		if err := n.WaitTopology(ctx, func(s *topology.Snapshot) bool {
			g, ok := s.MediatorGroup(0)
			_, hosted := s.PartyToParticipant(string(alice))
			_, hostedBank := s.PartyToParticipant(string(bank))
			return ok && g.Threshold == 2 && hosted && hostedBank
		}); err != nil {
			t.Fatal(err)
		}
	}

	tid := ledger.TemplateID{Package: pkg.ID, Name: "IouProposal"}
	propose := func(amount string) (ledger.ContractID, error) {
		c, err := nodes["bankp"].Submit(ctx, ledger.CreateCommand([]ledger.Party{bank}, tid, ledger.Record{
			"issuer": ledger.PartyValue(bank), "owner": ledger.PartyValue(alice),
			"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal(amount)}, "currency": ledger.TextValue("USD"),
		}))
		if err != nil {
			return "", err
		}
		for _, u := range nodes["bankp"].Updates() {
			if u.Offset == c.Offset && len(u.Created) == 1 {
				return u.Created[0].ID, nil
			}
		}
		return "", errors.New("no update for the proposal")
	}
	prop, err := propose("1")
	if err != nil {
		t.Fatalf("with both mediators: %v", err)
	}
	waitACS(t, ctx, nodes["traderp"], func(acs ledger.ContractMap) bool { _, ok := acs[prop]; return ok })

	meds["med2"].Stop()
	_, err = nodes["traderp"].Submit(ctx, ledger.ExerciseCommand([]ledger.Party{alice}, tid, prop, "Accept", ledger.Record{}))
	if !errors.Is(err, participant.ErrTimedOut) || !strings.Contains(err.Error(), "mediator group 0") {
		t.Fatalf("accept with one of two mediators: %v, want a timeout", err)
	}
	for name, n := range nodes {
		if err := n.WaitNoPending(ctx); err != nil {
			t.Fatal(err)
		}
		acs := n.ACS()
		if _, ok := acs[prop]; !ok || countTemplate(acs, "Iou") != 0 {
			t.Fatalf("%s after the timeout: proposal kept %v, %d IOUs", name, ok, countTemplate(acs, "Iou"))
		}
	}
}
