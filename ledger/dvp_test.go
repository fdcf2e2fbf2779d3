package ledger

import (
	"errors"
	"fmt"
	"testing"
)

type dvpFixture struct {
	l                *ledgerState
	pkg              *Package
	cash, asset, dvp ContractID
}

func (f *dvpFixture) tid(name string) TemplateID { return TemplateID{Package: f.pkg.ID, Name: name} }

// newDvp issues 100 USD from the bank to alice and 5 shares from the registry to bob, and
// has alice propose to buy the shares with the cash.
func newDvp(t testing.TB) *dvpFixture {
	f := &dvpFixture{pkg: loadExample(t, "dvp.yaml")}
	f.l = newLedger(t, mustSet(t, f.pkg))
	f.cash = f.offerAccept(bank, alice, "IouOffer", Record{"amount": dec("100"), "currency": TextValue("USD")})
	f.asset = f.offerAccept(registry, bob, "AssetOffer", Record{"description": TextValue("ACME shares"), "quantity": IntValue(5)})
	tx := f.l.mustSubmit(CreateCommand([]Party{alice}, f.tid("DvpProposal"), Record{
		"buyer": PartyValue(alice), "seller": PartyValue(bob), "cash": ContractIDValue(f.cash),
		"price": dec("100.0"), "currency": TextValue("USD"), "description": TextValue("ACME shares"), "quantity": IntValue(5),
	}))
	f.dvp = tx.Roots[0].ContractID
	return f
}

func (f *dvpFixture) offerAccept(issuer, owner Party, tmpl string, args Record) ContractID {
	args["issuer"], args["owner"] = PartyValue(issuer), PartyValue(owner)
	tx := f.l.mustSubmit(CreateCommand([]Party{issuer}, f.tid(tmpl), args))
	tx = f.l.mustSubmit(ExerciseCommand([]Party{owner}, f.tid(tmpl), tx.Roots[0].ContractID, "Accept", Record{}))
	return ContractID(tx.Roots[0].Result.(ContractIDValue))
}

func TestDvpSettlementInformees(t *testing.T) {
	f := newDvp(t)
	tx := f.l.mustSubmit(ExerciseCommand([]Party{bob}, f.tid("DvpProposal"), f.dvp, "Settle", Record{"asset": ContractIDValue(f.asset)}))
	root := tx.Roots[0]
	want := []struct {
		path      NodePath
		kind      NodeKind
		template  string
		informees []Party
	}{
		{NodePath{0}, NodeExercise, "DvpProposal", []Party{alice, bob}},
		{NodePath{0, 0}, NodeFetch, "Asset", []Party{registry, bob}},
		{NodePath{0, 1}, NodeFetch, "Iou", []Party{bank, alice}},
		{NodePath{0, 2}, NodeExercise, "Iou", []Party{bank, alice, bob}},
		{NodePath{0, 2, 0}, NodeCreate, "Iou", []Party{bank, bob}},
		{NodePath{0, 3}, NodeExercise, "Asset", []Party{registry, alice, bob}},
		{NodePath{0, 3, 0}, NodeCreate, "Asset", []Party{registry, alice}},
	}
	var got []NodePath
	_ = tx.Walk(func(p NodePath, n *Node) error { got = append(got, p); return nil })
	if len(got) != len(want) {
		t.Fatalf("settlement has %d nodes, want %d", len(got), len(want))
	}
	for i, w := range want {
		n := nodeAt(root, w.path[1:])
		if got[i].String() != w.path.String() || n.Kind != w.kind || n.Template.Name != w.template {
			t.Errorf("node %s: got %s %s at %s", w.path, n.Kind, n.Template.Name, got[i])
		}
		checkInformees(t, n, w.informees...)
	}
	// Privacy: each issuer sees only its own leg.
	_ = tx.Walk(func(p NodePath, n *Node) error {
		inf := n.Informees()
		if inf.Contains(bank) && n.Template.Name != "Iou" || inf.Contains(registry) && n.Template.Name != "Asset" {
			t.Errorf("node %s (%s) leaks to an issuer: %v", p, n.Template.Name, inf)
		}
		return nil
	})
	if f.l.acs[f.cash] != nil || f.l.acs[f.asset] != nil || f.l.acs[f.dvp] != nil {
		t.Fatal("settlement must archive the cash, the asset and the proposal")
	}
}

func nodeAt(n *Node, rel []int) *Node {
	for _, i := range rel {
		n = n.Children[i]
	}
	return n
}

func TestDvpSettlementIsAtomic(t *testing.T) {
	f := newDvp(t)
	// Alice spends the cash elsewhere first: settlement must fail and change nothing.
	f.l.mustSubmit(ExerciseCommand([]Party{alice, carol}, f.tid("Iou"), f.cash, "Transfer", Record{"newOwner": PartyValue(carol)}))
	before := len(f.l.acs)
	_, err := f.l.submit(ExerciseCommand([]Party{bob}, f.tid("DvpProposal"), f.dvp, "Settle", Record{"asset": ContractIDValue(f.asset)}))
	var ce *ContractError
	if !errors.As(err, &ce) || !errors.Is(err, ErrContractNotFound) || ce.ContractID != f.cash {
		t.Fatalf("settle with spent cash: %v", err)
	}
	if len(f.l.acs) != before || f.l.acs[f.asset] == nil {
		t.Fatal("a failed settlement must not move the asset")
	}
}

func TestDvpSettleByBuyerIsUnauthorized(t *testing.T) {
	f := newDvp(t)
	_, err := f.l.submit(ExerciseCommand([]Party{alice}, f.tid("DvpProposal"), f.dvp, "Settle", Record{"asset": ContractIDValue(f.asset)}))
	var ae *AuthorizationError
	if !errors.As(err, &ae) || !equalParties(ae.Missing, bob) || ae.Path.String() != "0" {
		t.Fatalf("settle by buyer: %v", err)
	}
}

func TestDvpProjections(t *testing.T) {
	_, tx, _ := settledDvp(t)
	want := map[Party][]string{
		alice:    {"0"},
		bob:      {"0"},
		bank:     {"0.1", "0.2"}, // the cash fetch and the cash transfer with its create
		registry: {"0.0", "0.3"}, // the asset fetch and the asset transfer with its create
		carol:    nil,
	}
	for p, paths := range want {
		var got []string
		for _, pn := range tx.Projection(p) {
			got = append(got, pn.Path.String())
		}
		if fmt.Sprint(got) != fmt.Sprint(paths) {
			t.Errorf("projection for %s: %v, want %v", p, got, paths)
		}
	}
}
