package ledger

import (
	"fmt"

	"cel.dev/cel-go/cel"
)

// compileBody compiles the actions of a choice in order; each binding is declared for the
// actions after it. It returns the environment with all bindings, for the result.
func (cp *compiledPackage) compileBody(env *cel.Env, ct *compiledTemplate, c *Choice, cc *compiledChoice) (*cel.Env, error) {
	bound := map[string]bool{}
	for i, a := range c.Body {
		where := fmt.Sprintf("%s.body[%d]", cc.where, i)
		ca, err := cp.compileAction(env, where, a)
		if err != nil {
			return nil, err
		}
		cc.body = append(cc.body, ca)
		if a.Bind == "" {
			continue
		}
		if bound[a.Bind] || hasField(ct.src.Fields, a.Bind) || hasField(c.Parameters, a.Bind) {
			return nil, &PackageError{Pos: a.Pos, Path: where, Msg: fmt.Sprintf("binding %q is already declared", a.Bind)}
		}
		bound[a.Bind] = true
		bt, err := bindType(ca)
		if err != nil {
			return nil, &PackageError{Pos: a.Pos, Path: where, Msg: err.Error()}
		}
		if env, err = env.Extend(cel.Variable(a.Bind, bt)); err != nil {
			return nil, &PackageError{Pos: a.Pos, Path: where, Msg: err.Error()}
		}
	}
	return env, nil
}

// bindType is the CEL type of an action's result.
func bindType(ca *compiledAction) (*cel.Type, error) {
	switch ca.kind {
	case ActionCreate:
		return cel.StringType, nil
	case ActionFetch:
		return cel.MapType(cel.StringType, cel.DynType), nil
	case ActionExercise:
		if ca.choice.returns == nil {
			return nil, fmt.Errorf("choice %s returns nothing to bind", ca.choice.where)
		}
		return celType(*ca.choice.returns), nil
	}
	return nil, fmt.Errorf("this action binds nothing")
}

func (cp *compiledPackage) compileAction(env *cel.Env, where string, a *Action) (*compiledAction, error) {
	ca := &compiledAction{kind: a.Kind, where: where, bind: a.Bind, message: a.Message}
	perr := func(format string, args ...any) error {
		return &PackageError{Pos: a.Pos, Path: where, Msg: fmt.Sprintf(format, args...)}
	}
	var err error
	if a.Kind == ActionAssert {
		ca.cond, err = compileExpr(env, where+".assert", a.Cond, cel.BoolType)
		return ca, err
	}
	if ca.target = cp.templates[a.Template]; ca.target == nil {
		return nil, perr("unknown template %q", a.Template)
	}
	if a.Kind == ActionCreate {
		ca.args, err = compileArgs(env, where, a.Args, ca.target.src.Fields, perr)
		return ca, err
	}
	if ca.contract, err = compileExpr(env, where+".contract", a.Contract, cel.StringType); err != nil {
		return nil, err
	}
	if a.Kind == ActionFetch {
		return ca, nil
	}
	if ca.choice = ca.target.choices[a.Choice]; ca.choice == nil {
		return nil, perr("template %s has no choice %q", a.Template, a.Choice)
	}
	ca.args, err = compileArgs(env, where, a.Args, ca.choice.params, perr)
	return ca, err
}

// compileArgs compiles one expression per declared field; every field needs exactly one.
func compileArgs(env *cel.Env, where string, args []Arg, fields []Field, perr func(string, ...any) error) ([]compiledArg, error) {
	for _, arg := range args {
		if !hasField(fields, arg.Name) {
			return nil, perr("unknown argument %q", arg.Name)
		}
	}
	out := make([]compiledArg, 0, len(fields))
	for _, f := range fields {
		arg, ok := findArg(args, f.Name)
		if !ok {
			return nil, perr("missing argument %q (%s)", f.Name, f.Type)
		}
		prg, err := compileExpr(env, where+".args."+f.Name, arg.Value, celType(f.Type))
		if err != nil {
			return nil, err
		}
		out = append(out, compiledArg{name: f.Name, typ: f.Type, prg: prg})
	}
	return out, nil
}

func findArg(args []Arg, name string) (Arg, bool) {
	for _, a := range args {
		if a.Name == name {
			return a, true
		}
	}
	return Arg{}, false
}
