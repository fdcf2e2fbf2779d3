package protocol

import (
	"fmt"
	"slices"
	"time"

	"github.com/cometsync/cometsync/ledger"
)

// viewTree is a view with its sub-views, as preparation builds it.
type viewTree struct {
	view *View
	subs []*viewTree
}

// subAction is an action that starts a sub-view, with the parties that authorized it.
type subAction struct {
	node *ledger.Node
	auth ledger.PartySet
}

// buildView builds the view of action at path with the given seed and authorizers, and
// recursively its sub-views. contracts must know every contract the subtree uses and does
// not create. Validating participants call it too, to recompute a view's sub-views.
func buildView(path ViewPath, action *ledger.Node, seed Seed, auth ledger.PartySet, contracts ledger.ContractLookup, lt time.Time) (*viewTree, error) {
	inputs, seeds, err := viewInputs(path, action, contracts)
	if err != nil {
		return nil, err
	}
	v := &View{Path: path,
		Common: CommonData{Salt: commonDataSalt(seed), Informees: ActionInformees(action)},
		Participant: ParticipantData{Salt: seed, Action: action, Authorizers: auth, Inputs: inputs, InputSeeds: seeds,
			Created: createdBy(action), LedgerTime: lt},
	}
	vt := &viewTree{view: v}
	for i, sa := range subActions(action, auth) {
		sub, err := buildView(path.Child(i), sa.node, subViewSeed(seed, i), sa.auth, v.Participant.known(), lt)
		if err != nil {
			return nil, err
		}
		vt.subs = append(vt.subs, sub)
		v.SubViews = append(v.SubViews, sub.view.Hash())
	}
	return vt, nil
}

// subActions returns the actions below action that start sub-views, in execution order:
// the top-most descendants whose informees differ from action's. Their authorizers come
// from ledger's authorization rule (WalkAuthorizers).
func subActions(action *ledger.Node, auth ledger.PartySet) []subAction {
	informees := action.Informees()
	var out []subAction
	var last ledger.NodePath // the latest sub-view start: pre-order visits its subtree next
	tx := &ledger.Transaction{Roots: []*ledger.Node{action}}
	_ = tx.WalkAuthorizers(auth, func(p ledger.NodePath, n *ledger.Node, a ledger.PartySet) error {
		if len(p) == 1 || last != nil && hasPrefix(p, last) {
			return nil
		}
		if !slices.Equal(n.Informees(), informees) {
			last = p
			out = append(out, subAction{node: n, auth: a})
		}
		return nil
	})
	return out
}

func hasPrefix(p, prefix ledger.NodePath) bool {
	return len(p) >= len(prefix) && slices.Equal(p[:len(prefix)], prefix)
}

// viewInputs looks up the contracts action's subtree uses and does not create, by id,
// and, when contracts is a ledger.SeedLookup, the creating seeds it knows of them (the
// disclosed inputs' proofs; nil when none).
func viewInputs(path ViewPath, action *ledger.Node, contracts ledger.ContractLookup) ([]*ledger.Contract, map[ledger.ContractID]ledger.Seed, error) {
	ids := (&ledger.Transaction{Roots: []*ledger.Node{action}}).Effects().Inputs
	out := make([]*ledger.Contract, 0, len(ids))
	seeder, _ := contracts.(ledger.SeedLookup)
	var seeds map[ledger.ContractID]ledger.Seed
	for _, id := range ids {
		c, err := contracts.LookupContract(id)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: view %s: input contract: %w", ErrInvalidTransaction, path, err)
		}
		out = append(out, c)
		if seeder == nil {
			continue
		}
		if s, ok := seeder.CreationSeed(id); ok {
			if seeds == nil {
				seeds = map[ledger.ContractID]ledger.Seed{}
			}
			seeds[id] = s
		}
	}
	return out, seeds, nil
}

// createdBy returns the contracts created in n's subtree, in execution order.
func createdBy(n *ledger.Node) []*ledger.Contract {
	var out []*ledger.Contract
	_ = (&ledger.Transaction{Roots: []*ledger.Node{n}}).Walk(func(_ ledger.NodePath, m *ledger.Node) error {
		if c := m.Contract(); c != nil {
			out = append(out, c)
		}
		return nil
	})
	return out
}

// known returns the contracts a view's sub-views may use: its inputs and its creations,
// with the seeds of its disclosed inputs (which the sub-views carry on).
func (p *ParticipantData) known() ledger.ContractLookup {
	return seededContracts{ContractMap: ledger.ContractMap{}.Add(p.Inputs...).Add(p.Created...), seeds: p.InputSeeds}
}

// seededContracts is a ContractMap that knows the creating seeds of some contracts.
type seededContracts struct {
	ledger.ContractMap
	seeds map[ledger.ContractID]ledger.Seed
}

// CreationSeed implements ledger.SeedLookup.
func (s seededContracts) CreationSeed(id ledger.ContractID) (ledger.Seed, bool) {
	seed, ok := s.seeds[id]
	return seed, ok
}
