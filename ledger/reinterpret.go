package ledger

import (
	"fmt"
	"time"
)

// Reinterpret checks a view for conformance: it re-runs the view's root action (the
// create, the exercise of Choice on ContractID with ChoiceArgs, or the fetch that view
// describes) with the view's own seed, authorized by authorizers, against the view's input
// contracts, and compares the subtree it produces with the received one.
//
// authorizers are the parties that authorized the view's action: the submitters (actAs)
// for a root view; for a consequence, the signatories of the parent exercise's contract and
// the parent's actors (see Transaction.WalkAuthorizers), which the view carries. inputs
// must hold every contract the subtree exercises or fetches and does not create itself,
// including contracts created earlier in the same transaction outside the view.
// ledgerTime is the transaction's ledger time.
//
// It returns the recomputed node. If interpretation fails it returns that error (an
// authorization, contract, evaluation or type error); if the trees differ it returns a
// *MismatchError naming the first differing node and field.
func Reinterpret(pkgs *PackageSet, view *Node, authorizers PartySet, inputs ContractLookup, ledgerTime time.Time) (*Node, error) {
	if view == nil {
		return nil, &MismatchError{Field: "node", Expected: "an action", Got: "nothing"}
	}
	in := newInterp(pkgs, inputs, ledgerTime)
	got, err := in.replay(view, authorizers)
	if err != nil {
		return nil, err
	}
	if err := compareNode(NodePath{}, got, view); err != nil {
		return got, err
	}
	return got, nil
}

// replay re-runs the action view describes.
func (in *interp) replay(view *Node, auth PartySet) (*Node, error) {
	root := NodePath{}
	ct, err := in.pkgs.template(root, view.Template)
	if err != nil {
		return nil, err
	}
	switch view.Kind {
	case NodeCreate:
		return in.create(root, view.Seed, auth, ct, view.Arguments)
	case NodeExercise:
		node, _, err := in.exercise(root, view.Seed, auth, ct, view.ContractID, view.Choice, view.ChoiceArgs)
		return node, err
	case NodeFetch:
		node, _, err := in.fetch(root, view.Seed, auth, ct, view.ContractID)
		return node, err
	}
	return nil, &MismatchError{Field: "kind", Expected: "create, exercise or fetch", Got: fmt.Sprint(uint8(view.Kind))}
}

// WalkAuthorizers calls fn for every node in pre-order with the parties that authorized
// it: actAs for the roots; for the consequences of an exercise, the signatories of its
// contract and its actors.
func (tx *Transaction) WalkAuthorizers(actAs PartySet, fn func(NodePath, *Node, PartySet) error) error {
	for i, r := range tx.Roots {
		if err := walkAuth(NodePath{i}, r, actAs, fn); err != nil {
			return err
		}
	}
	return nil
}

func walkAuth(p NodePath, n *Node, auth PartySet, fn func(NodePath, *Node, PartySet) error) error {
	if err := fn(p, n, auth); err != nil {
		return err
	}
	childAuth := n.Signatories.Union(n.Actors)
	for i, c := range n.Children {
		if err := walkAuth(p.Child(i), c, childAuth, fn); err != nil {
			return err
		}
	}
	return nil
}
