package ledger

import (
	"fmt"
	"time"
)

// Interpret runs cmd against the packages and the contracts it uses and returns the
// transaction: one root node with its consequences. ledgerTime is the transaction's
// ledger time (choices see it as now); seed is the submission seed, fresh per command,
// from which every node's seed and every new contract id derive. Interpret is a pure
// function of its arguments: no clock, no randomness, no map order.
//
// Authorization follows the Daml ledger model: the root action is authorized by ActAs; the
// consequences of an exercise by the signatories of the exercised contract and the
// controllers. Errors are typed (AuthorizationError, ContractError, EvalError, TypeError,
// LookupError) and wrap the package's sentinels.
func Interpret(pkgs *PackageSet, cmd Command, contracts ContractLookup, ledgerTime time.Time, seed Seed) (*Transaction, error) {
	if err := cmd.Validate(); err != nil {
		return nil, err
	}
	in := newInterp(pkgs, contracts, ledgerTime)
	root := NodePath{0}
	rootSeed := DeriveSeed(seed, 0)
	var node *Node
	var err error
	switch cmd.Kind {
	case CommandCreate:
		node, err = in.createByID(root, rootSeed, cmd.ActAs, cmd.Template, cmd.Arguments)
	case CommandExercise:
		node, err = in.exerciseByID(root, rootSeed, cmd.ActAs, cmd.Template, cmd.ContractID, cmd.Choice, cmd.Arguments)
	}
	if err != nil {
		return nil, err
	}
	return &Transaction{Roots: []*Node{node}}, nil
}

// interp is the state of one interpretation.
type interp struct {
	pkgs     *PackageSet
	lookup   ContractLookup
	now      TimeValue
	local    map[ContractID]*Contract // created in this interpretation
	archived map[ContractID]NodePath  // consumed in this interpretation, by which node
	nodes    int
	cost     uint64
}

func newInterp(pkgs *PackageSet, contracts ContractLookup, ledgerTime time.Time) *interp {
	return &interp{pkgs: pkgs, lookup: contracts, now: TimeFromGo(ledgerTime),
		local: map[ContractID]*Contract{}, archived: map[ContractID]NodePath{}}
}

// newNode counts a node against the limits.
func (in *interp) newNode(path NodePath) error {
	in.nodes++
	l := in.pkgs.limits
	if in.nodes > l.MaxNodes {
		return &EvalError{Path: path, Expr: "transaction", Msg: fmt.Sprintf("more than %d nodes", l.MaxNodes), Err: ErrCostLimitExceeded}
	}
	if len(path) > l.MaxDepth {
		return &EvalError{Path: path, Expr: "transaction", Msg: fmt.Sprintf("nested deeper than %d", l.MaxDepth), Err: ErrCostLimitExceeded}
	}
	return nil
}

// contract returns an active contract of template want.
func (in *interp) contract(path NodePath, id ContractID, want *compiledTemplate) (*Contract, error) {
	if at, ok := in.archived[id]; ok {
		return nil, &ContractError{Path: path, ContractID: id, ArchivedAt: at, Err: ErrContractNotActive}
	}
	c, ok := in.local[id]
	if !ok {
		var err error
		if c, err = in.lookup.LookupContract(id); err != nil {
			return nil, in.lookupError(path, id, err)
		}
	}
	if c.Template != want.id {
		return nil, &ContractError{Path: path, ContractID: id, Err: ErrWrongTemplate,
			Detail: fmt.Sprintf("is a %s, not a %s", c.Template, want.id)}
	}
	if err := CheckRecord("contract "+string(id), want.src.Fields, c.Arguments); err != nil {
		return nil, err
	}
	return c, nil
}

func (in *interp) lookupError(path NodePath, id ContractID, err error) error {
	ce := &ContractError{Path: path, ContractID: id, Err: ErrContractNotFound}
	if isNotFound(err) {
		return ce
	}
	return fmt.Errorf("node %s: looking up contract %s: %w", path, id, err)
}
