package ledger

import "slices"

// NodeKind is the kind of an action node.
type NodeKind uint8

// Node kinds. Their numbers are part of the canonical encoding; never renumber.
const (
	NodeCreate   NodeKind = 1
	NodeExercise NodeKind = 2
	NodeFetch    NodeKind = 3
)

// String returns create, exercise or fetch.
func (k NodeKind) String() string {
	switch k {
	case NodeCreate:
		return "create"
	case NodeExercise:
		return "exercise"
	case NodeFetch:
		return "fetch"
	}
	return "unknown"
}

// Node is an action of a transaction tree. Which fields are set depends on Kind:
//
//   - Create: ContractID, Template, Arguments, Signatories, Observers of the new contract.
//   - Exercise: ContractID, Template, Signatories, Observers of the exercised contract,
//     Choice, ChoiceArgs, Actors (the controllers), Consuming, Children (the consequences
//     in order) and Result (nil when the choice returns nothing).
//   - Fetch: ContractID, Template, Signatories, Observers of the fetched contract and
//     Actors (the authorizers that are stakeholders of it).
//
// Seed is the node's seed (see Seed); every kind has one. Party sets are sorted.
type Node struct {
	Kind        NodeKind
	Seed        Seed
	ContractID  ContractID
	Template    TemplateID
	Arguments   Record
	Signatories PartySet
	Observers   PartySet
	Choice      string
	ChoiceArgs  Record
	Actors      PartySet
	Consuming   bool
	Children    []*Node
	Result      Value
}

// Stakeholders returns the signatories and observers of the node's contract.
func (n *Node) Stakeholders() PartySet { return n.Signatories.Union(n.Observers) }

// Informees returns the parties entitled to see the node and its subtree, following the
// Daml ledger model: a create's stakeholders; a consuming exercise's stakeholders and
// actors; a non-consuming exercise's signatories and actors; a fetch's signatories and
// actors.
func (n *Node) Informees() PartySet {
	switch {
	case n.Kind == NodeCreate:
		return n.Stakeholders()
	case n.Kind == NodeExercise && n.Consuming:
		return n.Stakeholders().Union(n.Actors)
	default:
		return n.Signatories.Union(n.Actors)
	}
}

// Contract returns the contract a create node creates, nil for other kinds.
func (n *Node) Contract() *Contract {
	if n.Kind != NodeCreate {
		return nil
	}
	return &Contract{ID: n.ContractID, Template: n.Template, Arguments: n.Arguments,
		Signatories: n.Signatories, Observers: n.Observers}
}

// Transaction is the result of interpreting a command: a forest of action nodes (one root
// per command action), in execution order.
type Transaction struct {
	Roots []*Node
}

// Walk calls fn for every node in pre-order (a node before its children) with its path.
// It stops at the first error and returns it.
func (tx *Transaction) Walk(fn func(NodePath, *Node) error) error {
	for i, r := range tx.Roots {
		if err := walkNode(NodePath{i}, r, fn); err != nil {
			return err
		}
	}
	return nil
}

func walkNode(p NodePath, n *Node, fn func(NodePath, *Node) error) error {
	if err := fn(p, n); err != nil {
		return err
	}
	for i, c := range n.Children {
		if err := walkNode(p.Child(i), c, fn); err != nil {
			return err
		}
	}
	return nil
}

// Effects summarizes what committing a transaction changes.
type Effects struct {
	// Created lists the contracts created and not archived within the transaction, in
	// execution order.
	Created []*Contract
	// Archived lists the input contracts archived by the transaction, sorted.
	Archived []ContractID
	// Inputs lists the contracts used (exercised or fetched) that the transaction did not
	// create, sorted.
	Inputs []ContractID
}

// Effects computes the transaction's effects.
func (tx *Transaction) Effects() Effects {
	created := map[ContractID]bool{}
	consumed := map[ContractID]bool{}
	var order []*Contract
	inputs := map[ContractID]bool{}
	_ = tx.Walk(func(_ NodePath, n *Node) error {
		switch {
		case n.Kind == NodeCreate:
			created[n.ContractID] = true
			order = append(order, n.Contract())
		case !created[n.ContractID]:
			inputs[n.ContractID] = true
		}
		if n.Kind == NodeExercise && n.Consuming {
			consumed[n.ContractID] = true
		}
		return nil
	})
	var eff Effects
	for _, c := range order {
		if !consumed[c.ID] {
			eff.Created = append(eff.Created, c)
		}
	}
	eff.Inputs = sortedIDs(inputs, nil)
	eff.Archived = sortedIDs(consumed, created)
	return eff
}

func sortedIDs(set, exclude map[ContractID]bool) []ContractID {
	var out []ContractID
	for id := range set {
		if !exclude[id] {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}
