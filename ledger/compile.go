package ledger

import (
	"fmt"

	"cel.dev/cel-go/cel"
)

// compiledPackage is a package with every expression compiled and every reference
// resolved.
type compiledPackage struct {
	src       *Package
	templates map[string]*compiledTemplate
}

type compiledTemplate struct {
	id          TemplateID
	src         *Template
	env         *cel.Env // fields
	signatories *program
	observers   *program // nil: no observers
	ensure      *program // nil: always true
	choices     map[string]*compiledChoice
}

type compiledChoice struct {
	name        string
	where       string
	consuming   bool
	params      []Field
	returns     *Type
	controllers *program
	body        []*compiledAction
	result      *program // nil when returns is nil
}

type compiledAction struct {
	kind     ActionKind
	where    string
	bind     string
	target   *compiledTemplate // create, exercise, fetch
	choice   *compiledChoice   // exercise
	contract *program          // exercise, fetch
	args     []compiledArg     // create, exercise
	cond     *program          // assert
	message  string
}

type compiledArg struct {
	name string
	typ  Type
	prg  *program
}

// Variables the interpreter declares besides fields and parameters.
const (
	varSelf = "self" // the exercised contract's id, in choices
	varNow  = "now"  // the ledger time, in choices
)

var partyListType = cel.ListType(cel.StringType)

// compilePackage compiles every expression of pkg and resolves every template and choice
// reference. Errors are *PackageError with the expression's line and column.
func compilePackage(pkg *Package) (*compiledPackage, error) {
	base, err := baseEnv()
	if err != nil {
		return nil, fmt.Errorf("ledger: CEL environment: %w", err)
	}
	cp := &compiledPackage{src: pkg, templates: map[string]*compiledTemplate{}}
	for _, t := range pkg.Templates {
		ct, err := compileTemplateHead(base, pkg.ID, t)
		if err != nil {
			return nil, err
		}
		cp.templates[t.Name] = ct
	}
	for _, t := range pkg.Templates {
		if err := cp.compileChoices(cp.templates[t.Name]); err != nil {
			return nil, err
		}
	}
	return cp, nil
}

// compileTemplateHead compiles the template-level expressions and declares its choices
// (signatures only), so that bodies compiled later can refer to any choice.
func compileTemplateHead(base *cel.Env, pkgID PackageID, t *Template) (*compiledTemplate, error) {
	env, err := base.Extend(fieldVars(t.Fields)...)
	if err != nil {
		return nil, &PackageError{Pos: t.Pos, Path: t.Name, Msg: err.Error()}
	}
	ct := &compiledTemplate{id: TemplateID{Package: pkgID, Name: t.Name}, src: t, env: env,
		choices: map[string]*compiledChoice{}}
	if ct.signatories, err = compileExpr(env, t.Name+".signatories", t.Signatories, partyListType); err != nil {
		return nil, err
	}
	if ct.observers, err = compileOptional(env, t.Name+".observers", t.Observers, partyListType); err != nil {
		return nil, err
	}
	if ct.ensure, err = compileOptional(env, t.Name+".ensure", t.Ensure, cel.BoolType); err != nil {
		return nil, err
	}
	for _, c := range t.Choices {
		ct.choices[c.Name] = &compiledChoice{name: c.Name, where: t.Name + "." + c.Name,
			consuming: c.Consuming, params: c.Parameters, returns: c.Returns}
	}
	ct.choices["Archive"] = &compiledChoice{name: "Archive", where: t.Name + ".Archive",
		consuming: true, controllers: ct.signatories}
	return ct, nil
}

func compileOptional(env *cel.Env, where string, e Expr, want *cel.Type) (*program, error) {
	if e.Source == "" {
		return nil, nil
	}
	return compileExpr(env, where, e, want)
}

func fieldVars(fields []Field) []cel.EnvOption {
	opts := make([]cel.EnvOption, 0, len(fields))
	for _, f := range fields {
		opts = append(opts, cel.Variable(f.Name, celType(f.Type)))
	}
	return opts
}

func (cp *compiledPackage) compileChoices(ct *compiledTemplate) error {
	for _, c := range ct.src.Choices {
		if err := cp.compileChoice(ct, c, ct.choices[c.Name]); err != nil {
			return err
		}
	}
	return nil
}

func (cp *compiledPackage) compileChoice(ct *compiledTemplate, c *Choice, cc *compiledChoice) error {
	for _, p := range c.Parameters {
		if hasField(ct.src.Fields, p.Name) {
			return &PackageError{Pos: p.Pos, Path: cc.where + ".parameters." + p.Name,
				Msg: fmt.Sprintf("parameter %q shadows a field of %s", p.Name, ct.src.Name)}
		}
	}
	vars := append(fieldVars(c.Parameters), cel.Variable(varSelf, cel.StringType), cel.Variable(varNow, cel.TimestampType))
	env, err := ct.env.Extend(vars...)
	if err != nil {
		return &PackageError{Pos: c.Pos, Path: cc.where, Msg: err.Error()}
	}
	if cc.controllers, err = compileExpr(env, cc.where+".controllers", c.Controllers, partyListType); err != nil {
		return err
	}
	if env, err = cp.compileBody(env, ct, c, cc); err != nil {
		return err
	}
	if c.Returns != nil {
		cc.result, err = compileExpr(env, cc.where+".result", c.Result, celType(*c.Returns))
	}
	return err
}
