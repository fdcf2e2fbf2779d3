package ledger

import "fmt"

// exerciseByID exercises choice of template tid on contract cid.
func (in *interp) exerciseByID(path NodePath, seed Seed, auth PartySet, tid TemplateID, cid ContractID, choice string, args Record) (*Node, error) {
	ct, err := in.pkgs.template(path, tid)
	if err != nil {
		return nil, err
	}
	node, _, err := in.exercise(path, seed, auth, ct, cid, choice, args)
	return node, err
}

// exercise runs a choice: the controllers must all be authorizers; a consuming choice
// archives the contract before its body runs; the body's actions are authorized by the
// contract's signatories and the controllers. It returns the node and the choice result.
func (in *interp) exercise(path NodePath, seed Seed, auth PartySet, ct *compiledTemplate, cid ContractID, choice string, args Record) (*Node, Value, error) {
	if err := in.newNode(path); err != nil {
		return nil, nil, err
	}
	cc, c, err := in.resolveExercise(path, ct, cid, choice, args)
	if err != nil {
		return nil, nil, err
	}
	vars := choiceVars(c, args, in.now)
	controllers, err := in.authorizeExercise(path, cc, cid, vars, auth)
	if err != nil {
		return nil, nil, err
	}
	if cc.consuming {
		in.archived[cid] = path
	}
	node := &Node{Kind: NodeExercise, Seed: seed, ContractID: cid, Template: ct.id,
		Signatories: c.Signatories, Observers: c.Observers, Choice: choice, ChoiceArgs: args,
		Actors: controllers, Consuming: cc.consuming}
	b := &body{node: node, vars: vars, auth: c.Signatories.Union(controllers)}
	if err := in.runChoice(path, cc, b); err != nil {
		return nil, nil, err
	}
	return node, node.Result, nil
}

// resolveExercise finds the choice and the active contract and checks the arguments.
func (in *interp) resolveExercise(path NodePath, ct *compiledTemplate, cid ContractID, choice string, args Record) (*compiledChoice, *Contract, error) {
	cc := ct.choices[choice]
	if cc == nil {
		return nil, nil, &LookupError{Path: path, Name: fmt.Sprintf("choice %s of %s", choice, ct.id), Err: ErrUnknownChoice}
	}
	c, err := in.contract(path, cid, ct)
	if err != nil {
		return nil, nil, err
	}
	if err := CheckRecord(cc.where, cc.params, args); err != nil {
		return nil, nil, err
	}
	return cc, c, nil
}

// authorizeExercise computes the controllers and checks that all are authorizers.
func (in *interp) authorizeExercise(path NodePath, cc *compiledChoice, cid ContractID, vars map[string]any, auth PartySet) (PartySet, error) {
	controllers, err := in.controllers(path, cc, vars)
	if err != nil {
		return nil, err
	}
	if missing := controllers.Minus(auth); len(missing) > 0 {
		return nil, &AuthorizationError{Path: path, Action: fmt.Sprintf("exercise %s on %s", cc.where, cid),
			Required: controllers, Authorizers: auth, Missing: missing}
	}
	return controllers, nil
}

// runChoice runs the body and evaluates the result into b.node.
func (in *interp) runChoice(path NodePath, cc *compiledChoice, b *body) error {
	if err := in.runBody(path, cc, b); err != nil {
		return err
	}
	if cc.result == nil {
		return nil
	}
	var err error
	b.node.Result, err = in.evalTyped(path, cc.result, b.vars, *cc.returns)
	return err
}

func (in *interp) controllers(path NodePath, cc *compiledChoice, vars map[string]any) (PartySet, error) {
	controllers, err := in.evalParties(path, cc.controllers, vars)
	if err != nil {
		return nil, err
	}
	if len(controllers) == 0 {
		return nil, &EvalError{Path: path, Expr: cc.controllers.where, Msg: "a choice needs at least one controller", Err: ErrEvaluation}
	}
	return controllers, nil
}

// choiceVars returns the variables of a choice: fields, parameters, self and now.
func choiceVars(c *Contract, args Record, now TimeValue) map[string]any {
	vars := recordVars(c.Arguments, len(args)+2)
	for k, v := range args {
		vars[k] = toCEL(v)
	}
	vars[varSelf] = celString(string(c.ID))
	vars[varNow] = toCEL(now)
	return vars
}
