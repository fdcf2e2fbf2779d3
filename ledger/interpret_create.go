package ledger

import "fmt"

// createByID creates a contract of template id.
func (in *interp) createByID(path NodePath, seed Seed, auth PartySet, id TemplateID, args Record) (*Node, error) {
	ct, err := in.pkgs.template(path, id)
	if err != nil {
		return nil, err
	}
	return in.create(path, seed, auth, ct, args)
}

// create checks args and the ensure clause, computes the stakeholders, checks that every
// signatory is an authorizer and records the new contract.
func (in *interp) create(path NodePath, seed Seed, auth PartySet, ct *compiledTemplate, args Record) (*Node, error) {
	if err := in.newNode(path); err != nil {
		return nil, err
	}
	if err := CheckRecord(ct.src.Name, ct.src.Fields, args); err != nil {
		return nil, err
	}
	vars := recordVars(args, 0)
	if err := in.checkEnsure(path, ct, vars); err != nil {
		return nil, err
	}
	c := &Contract{Template: ct.id, Arguments: args}
	var err error
	if c.Signatories, err = in.evalParties(path, ct.signatories, vars); err != nil {
		return nil, err
	}
	if len(c.Signatories) == 0 {
		return nil, &EvalError{Path: path, Expr: ct.signatories.where, Msg: "a contract needs at least one signatory", Err: ErrEvaluation}
	}
	if c.Observers, err = in.evalParties(path, ct.observers, vars); err != nil {
		return nil, err
	}
	if missing := c.Signatories.Minus(auth); len(missing) > 0 {
		return nil, &AuthorizationError{Path: path, Action: "create " + ct.id.String(),
			Required: c.Signatories, Authorizers: auth, Missing: missing}
	}
	c.ID = DeriveContractID(seed, c)
	in.local[c.ID] = c
	return &Node{Kind: NodeCreate, Seed: seed, ContractID: c.ID, Template: ct.id, Arguments: args,
		Signatories: c.Signatories, Observers: c.Observers}, nil
}

func (in *interp) checkEnsure(path NodePath, ct *compiledTemplate, vars map[string]any) error {
	if ct.ensure == nil {
		return nil
	}
	ok, err := in.evalBool(path, ct.ensure, vars)
	if err != nil {
		return err
	}
	if !ok {
		return &EvalError{Path: path, Expr: ct.ensure.where, Err: ErrEnsureFailed,
			Msg: fmt.Sprintf("%s is false", ct.ensure.source)}
	}
	return nil
}
