package ledger

// parseBody reads a choice body: a sequence of actions.
func parseBody(y ynode) ([]*Action, error) {
	items, err := y.sequence()
	if err != nil {
		return nil, err
	}
	var out []*Action
	for _, item := range items {
		a, err := parseAction(item)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// actionKeys lists, per kind, the key that selects it and the keys it allows.
var actionKeys = []struct {
	kind    ActionKind
	key     string
	allowed []string
}{
	{ActionCreate, "create", []string{"create", "args", "bind"}},
	{ActionExercise, "exercise", []string{"exercise", "template", "contract", "args", "bind"}},
	{ActionFetch, "fetch", []string{"fetch", "contract", "bind"}},
	{ActionAssert, "assert", []string{"assert", "message"}},
}

func parseAction(y ynode) (*Action, error) {
	m, err := y.mapping()
	if err != nil {
		return nil, err
	}
	for _, ak := range actionKeys {
		if _, ok := m.get(ak.key); !ok {
			continue
		}
		if err := m.only(ak.allowed...); err != nil {
			return nil, err
		}
		a := &Action{Kind: ak.kind, Pos: y.pos()}
		return a, fillAction(m, a)
	}
	return nil, y.errf("an action needs one of create, exercise, fetch or assert")
}

func fillAction(m *ymap, a *Action) error {
	var err error
	if a.Bind, err = optionalString(m, "bind"); err != nil {
		return err
	}
	if a.Bind != "" {
		if err := checkIdent(m.vals["bind"], "binding", a.Bind); err != nil {
			return err
		}
	}
	switch a.Kind {
	case ActionCreate:
		return fillCreate(m, a)
	case ActionExercise:
		return fillExercise(m, a)
	case ActionFetch:
		return fillFetch(m, a)
	default:
		return fillAssert(m, a)
	}
}

func fillCreate(m *ymap, a *Action) error {
	var err error
	if a.Template, err = m.vals["create"].scalar(); err != nil {
		return err
	}
	a.Args, err = parseArgs(m)
	return err
}

func fillExercise(m *ymap, a *Action) error {
	var err error
	if a.Choice, err = m.vals["exercise"].scalar(); err != nil {
		return err
	}
	tn, err := m.require("template")
	if err != nil {
		return err
	}
	if a.Template, err = tn.scalar(); err != nil {
		return err
	}
	if a.Contract, err = requiredExpr(m, "contract"); err != nil {
		return err
	}
	a.Args, err = parseArgs(m)
	return err
}

func fillFetch(m *ymap, a *Action) error {
	var err error
	if a.Template, err = m.vals["fetch"].scalar(); err != nil {
		return err
	}
	a.Contract, err = requiredExpr(m, "contract")
	return err
}

func fillAssert(m *ymap, a *Action) error {
	if a.Bind != "" {
		return m.vals["bind"].errf("an assert binds nothing")
	}
	var err error
	if a.Cond, err = m.vals["assert"].expr(); err != nil {
		return err
	}
	a.Message, err = optionalString(m, "message")
	return err
}

// parseArgs reads the optional args mapping: name -> expression, sorted by name.
func parseArgs(m *ymap) ([]Arg, error) {
	v, ok := m.get("args")
	if !ok {
		return nil, nil
	}
	am, err := v.mapping()
	if err != nil {
		return nil, err
	}
	var out []Arg
	for _, name := range am.sortedKeys() {
		e, err := am.vals[name].expr()
		if err != nil {
			return nil, err
		}
		out = append(out, Arg{Name: name, Value: e})
	}
	return out, nil
}
