package ledger

// body is the state of a running choice body.
type body struct {
	node *Node          // the exercise node; children are appended
	vars map[string]any // fields, parameters, self, now and bindings so far
	auth PartySet       // authorizers of the consequences
}

// runBody runs the actions of a choice in order.
func (in *interp) runBody(path NodePath, cc *compiledChoice, b *body) error {
	for _, ca := range cc.body {
		if err := in.runAction(path, ca, b); err != nil {
			return err
		}
	}
	return nil
}

func (in *interp) runAction(path NodePath, ca *compiledAction, b *body) error {
	if ca.kind == ActionAssert {
		return in.runAssert(path, ca, b)
	}
	childPath := path.Child(len(b.node.Children))
	childSeed := DeriveSeed(b.node.Seed, len(b.node.Children))
	var child *Node
	var bound any
	var err error
	switch ca.kind {
	case ActionCreate:
		child, err = in.runCreate(childPath, childSeed, ca, b)
		if err == nil {
			bound = celString(string(child.ContractID))
		}
	case ActionExercise:
		child, bound, err = in.runExercise(childPath, childSeed, ca, b)
	case ActionFetch:
		child, bound, err = in.runFetch(childPath, childSeed, ca, b)
	}
	if err != nil {
		return err
	}
	b.node.Children = append(b.node.Children, child)
	if ca.bind != "" {
		b.vars[ca.bind] = bound
	}
	return nil
}

func (in *interp) runAssert(path NodePath, ca *compiledAction, b *body) error {
	ok, err := in.evalBool(path, ca.cond, b.vars)
	if err != nil {
		return err
	}
	if !ok {
		msg := ca.message
		if msg == "" {
			msg = ca.cond.source + " is false"
		}
		return &EvalError{Path: path, Expr: ca.where, Msg: msg, Err: ErrAssertionFailed}
	}
	return nil
}

func (in *interp) runCreate(path NodePath, seed Seed, ca *compiledAction, b *body) (*Node, error) {
	args, err := in.evalArgs(path, ca.args, b.vars)
	if err != nil {
		return nil, err
	}
	return in.create(path, seed, b.auth, ca.target, args)
}

func (in *interp) runExercise(path NodePath, seed Seed, ca *compiledAction, b *body) (*Node, any, error) {
	cid, err := in.evalContractID(path, ca.contract, b.vars)
	if err != nil {
		return nil, nil, err
	}
	args, err := in.evalArgs(path, ca.args, b.vars)
	if err != nil {
		return nil, nil, err
	}
	node, result, err := in.exercise(path, seed, b.auth, ca.target, cid, ca.choice.name, args)
	if err != nil || result == nil {
		return node, nil, err
	}
	return node, toCEL(result), nil
}

func (in *interp) runFetch(path NodePath, seed Seed, ca *compiledAction, b *body) (*Node, any, error) {
	cid, err := in.evalContractID(path, ca.contract, b.vars)
	if err != nil {
		return nil, nil, err
	}
	node, c, err := in.fetch(path, seed, b.auth, ca.target, cid)
	if err != nil {
		return nil, nil, err
	}
	return node, recordToCEL(c.Arguments), nil
}
