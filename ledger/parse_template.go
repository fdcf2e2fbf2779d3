package ledger

// parseTemplates reads the templates mapping: name -> template.
func parseTemplates(y ynode) ([]*Template, error) {
	m, err := y.mapping()
	if err != nil {
		return nil, err
	}
	if len(m.keys) == 0 {
		return nil, y.errf("a package needs at least one template")
	}
	var out []*Template
	for _, name := range m.sortedKeys() {
		v := m.vals[name]
		if err := checkIdent(v, "template", name); err != nil {
			return nil, err
		}
		t, err := parseTemplate(name, v)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func parseTemplate(name string, y ynode) (*Template, error) {
	m, err := y.mapping()
	if err != nil {
		return nil, err
	}
	if err := m.only("fields", "signatories", "observers", "ensure", "choices"); err != nil {
		return nil, err
	}
	t := &Template{Name: name, Pos: y.pos()}
	fn, err := m.require("fields")
	if err != nil {
		return nil, err
	}
	if t.Fields, err = parseFields(fn, "field"); err != nil {
		return nil, err
	}
	if t.Signatories, err = requiredExpr(m, "signatories"); err != nil {
		return nil, err
	}
	if t.Observers, err = optionalExpr(m, "observers"); err != nil {
		return nil, err
	}
	if t.Ensure, err = optionalExpr(m, "ensure"); err != nil {
		return nil, err
	}
	if cn, ok := m.get("choices"); ok {
		if t.Choices, err = parseChoices(cn); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func requiredExpr(m *ymap, key string) (Expr, error) {
	v, err := m.require(key)
	if err != nil {
		return Expr{}, err
	}
	return v.expr()
}

func optionalExpr(m *ymap, key string) (Expr, error) {
	v, ok := m.get(key)
	if !ok {
		return Expr{}, nil
	}
	return v.expr()
}

func optionalString(m *ymap, key string) (string, error) {
	v, ok := m.get(key)
	if !ok {
		return "", nil
	}
	return v.scalar()
}

func parseChoices(y ynode) ([]*Choice, error) {
	m, err := y.mapping()
	if err != nil {
		return nil, err
	}
	var out []*Choice
	for _, name := range m.sortedKeys() {
		v := m.vals[name]
		if err := checkIdent(v, "choice", name); err != nil {
			return nil, err
		}
		c, err := parseChoice(name, v)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func parseChoice(name string, y ynode) (*Choice, error) {
	m, err := y.mapping()
	if err != nil {
		return nil, err
	}
	if err := m.only("controllers", "consuming", "parameters", "returns", "body", "result"); err != nil {
		return nil, err
	}
	c := &Choice{Name: name, Consuming: true, Pos: y.pos()}
	if c.Controllers, err = requiredExpr(m, "controllers"); err != nil {
		return nil, err
	}
	if v, ok := m.get("consuming"); ok {
		if c.Consuming, err = v.boolean(); err != nil {
			return nil, err
		}
	}
	if v, ok := m.get("parameters"); ok {
		if c.Parameters, err = parseFields(v, "parameter"); err != nil {
			return nil, err
		}
	}
	if err := parseChoiceResult(m, c); err != nil {
		return nil, err
	}
	if v, ok := m.get("body"); ok {
		if c.Body, err = parseBody(v); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func parseChoiceResult(m *ymap, c *Choice) error {
	rv, hasReturns := m.get("returns")
	res, hasResult := m.get("result")
	if hasReturns != hasResult {
		return m.y.errf("returns and result go together: give both or neither")
	}
	if !hasReturns {
		return nil
	}
	s, err := rv.scalar()
	if err != nil {
		return err
	}
	t, err := ParseType(s)
	if err != nil {
		return rv.errf("%v", err)
	}
	c.Returns = &t
	c.Result, err = res.expr()
	return err
}
