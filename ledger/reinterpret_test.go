package ledger

import (
	"errors"
	"testing"
)

func settledDvp(t testing.TB) (*dvpFixture, *Transaction, ContractMap) {
	f := newDvp(t)
	inputs := ContractMap{}
	for id, c := range f.l.acs {
		inputs[id] = c
	}
	tx := f.l.mustSubmit(ExerciseCommand([]Party{bob}, f.tid("DvpProposal"), f.dvp, "Settle", Record{"asset": ContractIDValue(f.asset)}))
	return f, tx, inputs
}

func TestReinterpretSubView(t *testing.T) {
	f, tx, inputs := settledDvp(t)
	cashLeg := tx.Roots[0].Children[2]
	// The bank's participant sees only the cash leg: the transfer and its create.
	auth := NewPartySet(alice, bob) // DvpProposal's signatory buyer and the controller seller
	only := ContractMap{f.cash: inputs[f.cash]}
	if _, err := Reinterpret(f.l.pkgs, cashLeg, auth, only, testTime); err != nil {
		t.Fatalf("cash leg: %v", err)
	}
	if _, err := Reinterpret(f.l.pkgs, cashLeg, NewPartySet(bob), only, testTime); !errors.Is(err, ErrAuthorization) {
		t.Fatalf("cash leg without the buyer's authority: %v", err)
	}
	if _, err := Reinterpret(f.l.pkgs, cashLeg, auth, ContractMap{}, testTime); !errors.Is(err, ErrContractNotFound) {
		t.Fatalf("cash leg without its input: %v", err)
	}
}

func TestReinterpretReportsFirstDifference(t *testing.T) {
	f, tx, inputs := settledDvp(t)
	tests := []struct {
		name   string
		change func(root *Node)
		path   string
		field  string
	}{
		{"created amount", func(r *Node) { r.Children[2].Children[0].Arguments["amount"] = dec("1000") }, "2.0", "arguments.amount"},
		{"created owner", func(r *Node) { r.Children[3].Children[0].Arguments["owner"] = PartyValue(carol) }, "3.0", "arguments.owner"},
		{"missing consequence", func(r *Node) { r.Children = r.Children[:3] }, "-", "children"},
		{"fetch actors", func(r *Node) { r.Children[0].Actors = NewPartySet(alice, bob) }, "0", "actors"},
		{"consuming flag", func(r *Node) { r.Children[2].Consuming = false }, "2", "consuming"},
		{"result", func(r *Node) { r.Result = ListValue{} }, "-", "result"},
		{"child seed", func(r *Node) { r.Children[1].Seed[0] ^= 1 }, "1", "seed"},
		{"observers", func(r *Node) { r.Children[3].Observers = NewPartySet(carol) }, "3", "observers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			view, err := DecodeNode(EncodeNode(tx.Roots[0]))
			if err != nil {
				t.Fatal(err)
			}
			tc.change(view)
			_, err = Reinterpret(f.l.pkgs, view, NewPartySet(bob), inputs, testTime)
			var me *MismatchError
			if !errors.As(err, &me) || !errors.Is(err, ErrMismatch) {
				t.Fatalf("want a mismatch, got %v", err)
			}
			if me.Path.String() != tc.path || me.Field != tc.field {
				t.Fatalf("mismatch at %s %s, want %s %s: %v", me.Path, me.Field, tc.path, tc.field, err)
			}
		})
	}
}

func TestReinterpretRejectsGarbage(t *testing.T) {
	f, tx, inputs := settledDvp(t)
	if _, err := Reinterpret(f.l.pkgs, nil, NewPartySet(bob), inputs, testTime); !errors.Is(err, ErrMismatch) {
		t.Fatalf("nil view: %v", err)
	}
	view, _ := DecodeNode(EncodeNode(tx.Roots[0]))
	view.Kind = 9
	if _, err := Reinterpret(f.l.pkgs, view, NewPartySet(bob), inputs, testTime); !errors.Is(err, ErrMismatch) {
		t.Fatalf("bad kind: %v", err)
	}
}

func TestWalkAuthorizers(t *testing.T) {
	_, tx, _ := settledDvp(t)
	want := map[string]PartySet{
		"0": NewPartySet(bob), "0.0": NewPartySet(alice, bob), "0.2": NewPartySet(alice, bob),
		"0.2.0": NewPartySet(bank, alice, bob), "0.3.0": NewPartySet(registry, alice, bob),
	}
	_ = tx.WalkAuthorizers(NewPartySet(bob), func(p NodePath, _ *Node, auth PartySet) error {
		if w, ok := want[p.String()]; ok && !equalParties(auth, w...) {
			t.Errorf("node %s authorizers %v, want %v", p, auth, w)
		}
		return nil
	})
}
