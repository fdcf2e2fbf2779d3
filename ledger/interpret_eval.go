package ledger

import (
	"errors"
	"fmt"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

func isNotFound(err error) bool { return errors.Is(err, ErrContractNotFound) }

// eval evaluates p, charging its cost to the transaction.
func (in *interp) eval(path NodePath, p *program, vars map[string]any) (ref.Val, error) {
	out, cost, err := p.eval(vars)
	in.cost += cost
	if limit := in.pkgs.limits.TransactionCost; in.cost > limit {
		return nil, &EvalError{Path: path, Expr: p.where, Msg: fmt.Sprintf("transaction cost exceeds %d", limit), Err: ErrCostLimitExceeded}
	}
	if err != nil {
		sentinel := ErrEvaluation
		if errors.Is(err, ErrCostLimitExceeded) {
			sentinel = ErrCostLimitExceeded
		}
		return nil, &EvalError{Path: path, Expr: p.where, Msg: err.Error(), Err: sentinel}
	}
	return out, nil
}

// evalTyped evaluates p and converts the result to type t.
func (in *interp) evalTyped(path NodePath, p *program, vars map[string]any, t Type) (Value, error) {
	out, err := in.eval(path, p, vars)
	if err != nil {
		return nil, err
	}
	return fromCEL(p.where, t, out)
}

// evalParties evaluates a list<party> expression into a set.
func (in *interp) evalParties(path NodePath, p *program, vars map[string]any) (PartySet, error) {
	if p == nil {
		return nil, nil
	}
	v, err := in.evalTyped(path, p, vars, TList(TParty))
	if err != nil {
		return nil, err
	}
	list := v.(ListValue)
	ps := make([]Party, len(list))
	for i, e := range list {
		ps[i] = Party(e.(PartyValue))
	}
	return NewPartySet(ps...), nil
}

// evalBool evaluates a bool expression.
func (in *interp) evalBool(path NodePath, p *program, vars map[string]any) (bool, error) {
	v, err := in.evalTyped(path, p, vars, TBool)
	if err != nil {
		return false, err
	}
	return bool(v.(BoolValue)), nil
}

// evalArgs evaluates argument expressions into a record.
func (in *interp) evalArgs(path NodePath, args []compiledArg, vars map[string]any) (Record, error) {
	r := make(Record, len(args))
	for _, a := range args {
		v, err := in.evalTyped(path, a.prg, vars, a.typ)
		if err != nil {
			return nil, err
		}
		r[a.name] = v
	}
	return r, nil
}

// evalContractID evaluates a contractId expression.
func (in *interp) evalContractID(path NodePath, p *program, vars map[string]any) (ContractID, error) {
	v, err := in.evalTyped(path, p, vars, TContractID)
	if err != nil {
		return "", err
	}
	return ContractID(v.(ContractIDValue)), nil
}

// recordVars returns the CEL variables of a record's fields.
func recordVars(r Record, extra int) map[string]any {
	vars := make(map[string]any, len(r)+extra)
	for k, v := range r {
		vars[k] = toCEL(v)
	}
	return vars
}

func celString(s string) ref.Val { return types.String(s) }
