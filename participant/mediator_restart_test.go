package participant_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/cosmos/gogoproto/proto"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
	mediatord "github.com/cometsync/cometsync/mediator/daemon"
	"github.com/cometsync/cometsync/mediator/store"
	"github.com/cometsync/cometsync/member"
	"github.com/cometsync/cometsync/participant"
	mediatorpb "github.com/cometsync/cometsync/proto/mediatorpb"
	"github.com/cometsync/cometsync/testnet"
)

// TestMediatorResumesFromItsDatabase: a mediator restarted over its database continues
// from the next counter of its stream instead of replaying it from counter 0, decides a
// request that arrived while it was down, and a mediator whose database was wiped
// rebuilds the same state from the chain (the same verdicts and audit records).
func TestMediatorResumesFromItsDatabase(t *testing.T) {
	specs := []testnet.MemberSpec{
		{Kind: crypto.KindParticipant, Name: "bankp"}, {Kind: crypto.KindParticipant, Name: "traderp"},
		{Kind: crypto.KindMediator, Name: "mediator"},
	}
	net := startChain(t, specs)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	pkg, pkgs := iouPackage(t)
	med := net.Member("mediator")
	medEnc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	dir := filepath.Join(t.TempDir(), "mediator-db")
	startMediator := func(dir string) (*mediatord.Node, *store.Store) {
		st, err := store.Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		n, err := mediatord.StartNode(ctx, mediatord.NodeConfig{Driver: driverConfig(net, med), EncryptionKey: medEnc, Store: st})
		if err != nil {
			st.Close()
			t.Fatal(err)
		}
		return n, st
	}
	stopMediator := func(n *mediatord.Node, st *store.Store) {
		n.Stop()
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}

	m1, st1 := startMediator(dir)
	if m1.ResumedFrom() != 0 {
		t.Fatalf("a new mediator resumed from %d", m1.ResumedFrom())
	}
	start := func(name string) *participant.Node {
		enc, _ := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
		n, err := participant.Start(ctx, participant.Config{
			Driver: driverConfig(net, net.Member(name)), EncryptionKey: enc, Packages: pkgs, Mediators: []string{med.ID},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(n.Stop)
		if err := n.Register(ctx); err != nil {
			t.Fatal(err)
		}
		return n
	}
	bankNode, traderNode := start("bankp"), start("traderp")
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
	tmpl := ledger.TemplateID{Package: pkg.ID, Name: "IouProposal"}
	if _, err := bankNode.Submit(ctx, ledger.CreateCommand([]ledger.Party{bank}, tmpl, ledger.Record{
		"issuer": ledger.PartyValue(bank), "owner": ledger.PartyValue(alice),
		"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal("10")}, "currency": ledger.TextValue("EUR"),
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
	if err := m1.WaitProgress(ctx, func(p member.Progress) bool { return p.Live && p.Outbox == 0 }); err != nil {
		t.Fatal(err)
	}
	stopMediator(m1, st1)
	before, err := loadMediatorState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if before.Next == 0 || before.Core.Meta.Seq != 1 {
		t.Fatalf("the database holds next counter %d and %d verdicts, want >0 and 1", before.Next, before.Core.Meta.Seq)
	}

	// The acceptance goes out while the mediator is down; the restarted one resumes
	// where its database stands and decides it.
	accepted := make(chan error, 1)
	go func() {
		_, err := traderNode.Submit(ctx, ledger.ExerciseCommand([]ledger.Party{alice}, tmpl, prop, "Accept", ledger.Record{}))
		accepted <- err
	}()
	if err := traderNode.WaitProgress(ctx, func(p participant.Progress) bool { return p.Pending > 0 }); err != nil {
		t.Fatal(err)
	}
	m2, st2 := startMediator(dir)
	if m2.ResumedFrom() != before.Next {
		t.Fatalf("restarted mediator resumed from counter %d, want %d (its database's next)", m2.ResumedFrom(), before.Next)
	}
	if err := <-accepted; err != nil {
		t.Fatalf("accept with the restarted mediator: %v", err)
	}
	settled := func(acs ledger.ContractMap) bool {
		return countTemplate(acs, "Iou") == 1 && countTemplate(acs, "IouProposal") == 0
	}
	for _, n := range []*participant.Node{bankNode, traderNode} {
		waitACS(t, ctx, n, settled)
	}
	if err := m2.WaitProgress(ctx, func(p member.Progress) bool { return p.Live && p.Outbox == 0 }); err != nil {
		t.Fatal(err)
	}
	stopMediator(m2, st2)
	resumed, err := loadMediatorState(dir)
	if err != nil {
		t.Fatal(err)
	}

	// A wiped database: the mediator rebuilds from counter 0 and ends with the same
	// verdicts and audit trail, sending nothing again.
	wiped := filepath.Join(t.TempDir(), "mediator-db-rebuilt")
	m3, st3 := startMediator(wiped)
	if m3.ResumedFrom() != 0 {
		t.Fatalf("mediator over an empty database resumed from %d", m3.ResumedFrom())
	}
	if err := m3.WaitProgress(ctx, func(p member.Progress) bool { return p.Live && p.Outbox == 0 && p.Next >= resumed.Next }); err != nil {
		t.Fatal(err)
	}
	stopMediator(m3, st3)
	rebuilt, err := loadMediatorState(wiped)
	if err != nil {
		t.Fatal(err)
	}
	if rebuilt.Core.Meta.Seq != 2 || resumed.Core.Meta.Seq != 2 {
		t.Fatalf("verdicts: resumed %d, rebuilt %d, want 2 each", resumed.Core.Meta.Seq, rebuilt.Core.Meta.Seq)
	}
	if len(rebuilt.records) != len(resumed.records) {
		t.Fatalf("audit records: resumed %d, rebuilt %d", len(resumed.records), len(rebuilt.records))
	}
	for i := range resumed.records {
		if !proto.Equal(resumed.records[i], rebuilt.records[i]) {
			t.Fatalf("audit record %d differs: resumed %v, rebuilt %v", i, resumed.records[i], rebuilt.records[i])
		}
	}
}

type mediatorState struct {
	store.State
	records []*mediatorpb.Record
}

func loadMediatorState(dir string) (mediatorState, error) {
	st, err := store.Open(dir, nil)
	if err != nil {
		return mediatorState{}, err
	}
	defer st.Close()
	s, err := st.Load()
	if err != nil {
		return mediatorState{}, err
	}
	recs, err := st.Records(0, 1<<20)
	return mediatorState{State: s, records: recs}, err
}
