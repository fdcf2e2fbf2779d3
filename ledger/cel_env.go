package ledger

import (
	"errors"
	"fmt"
	"strings"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/overloads"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"
)

// ExprCostLimit bounds the cost (CEL's abstract unit, about one per operation and per
// element traversed) of one evaluation of one expression.
const ExprCostLimit = 1_000_000

// Limits on expression source, checked when a package compiles.
const (
	maxExprSize    = 4096
	maxExprNodes   = 1024
	maxExprNesting = 32
)

// baseEnv returns the CEL environment every expression starts from: the standard library,
// optionals, decimals, UTC as the default time zone, strict timestamp parsing and size
// limits. Expressions that use floating point or named time zones are rejected at compile
// time by checkSandbox.
func baseEnv() (*cel.Env, error) {
	opts := []cel.EnvOption{
		cel.OptionalTypes(),
		cel.DefaultUTCTimeZone(true),
		cel.StrictTimestampParsing(true),
		cel.CrossTypeNumericComparisons(false),
		cel.ParserExpressionSizeLimit(maxExprSize),
		cel.ExpressionNodeLimit(maxExprNodes),
		cel.ExpressionNestingDepthLimit(maxExprNesting),
	}
	return cel.NewEnv(append(opts, decimalLib()...)...)
}

// program is a compiled expression.
type program struct {
	where  string
	source string
	pos    Position
	prg    cel.Program
}

// compileExpr compiles e in env, checks that its type is assignable to want and that it
// stays in the sandbox.
func compileExpr(env *cel.Env, where string, e Expr, want *cel.Type) (*program, error) {
	perr := func(format string, args ...any) error {
		return &PackageError{Pos: e.Pos, Path: where, Msg: fmt.Sprintf(format, args...)}
	}
	ast, iss := env.Compile(e.Source)
	if iss.Err() != nil {
		return nil, perr("%s", celIssue(iss))
	}
	if out := ast.OutputType(); !compatible(want, out) {
		return nil, perr("expression has type %s, want %s", out, want)
	}
	if err := checkSandbox(ast); err != nil {
		return nil, perr("%v", err)
	}
	prg, err := env.Program(ast, cel.CostLimit(ExprCostLimit), cel.EvalOptions(cel.OptTrackCost))
	if err != nil {
		return nil, perr("%v", err)
	}
	return &program{where: where, source: e.Source, pos: e.Pos, prg: prg}, nil
}

// checkSandbox rejects floating point (not deterministic across platforms and not exact),
// time-zone functions (which read the host's time zone database), iteration over maps
// (whose order is Go's random map order) and dyn() (which would hide a map from that
// check; dyn values otherwise come only from fetched contracts, whose fields are never
// maps).
func checkSandbox(ast *cel.Ast) error {
	native := ast.NativeRep()
	if err := checkNoMapIteration(native); err != nil {
		return err
	}
	for _, t := range native.TypeMap() {
		if t == cel.DoubleType {
			return errors.New("floating point (double) is not allowed; use decimal")
		}
	}
	for _, ref := range native.ReferenceMap() {
		for _, id := range ref.OverloadIDs {
			if strings.Contains(id, "_tz") || strings.Contains(id, "double") || id == overloads.ToDyn {
				return fmt.Errorf("function overload %s is not allowed (time zones and floating point are not deterministic)", id)
			}
		}
	}
	return nil
}

// eval evaluates p with vars and returns the result and its cost.
func (p *program) eval(vars map[string]any) (ref.Val, uint64, error) {
	out, det, err := p.prg.Eval(vars)
	var cost uint64
	if det != nil && det.ActualCost() != nil {
		cost = *det.ActualCost()
	}
	if err != nil {
		var cancelled interpreter.EvalCancelledError
		if errors.As(err, &cancelled) && cancelled.Cause == interpreter.CostLimitExceeded {
			return nil, cost, fmt.Errorf("%w: expression cost exceeds %d", ErrCostLimitExceeded, uint64(ExprCostLimit))
		}
		return nil, cost, err
	}
	if types.IsUnknownOrError(out) {
		return nil, cost, fmt.Errorf("expression evaluated to %v", out)
	}
	return out, cost, nil
}

// compatible reports whether a value of CEL type got may have type want: dyn, anywhere in
// got, is checked at run time when the value is converted.
func compatible(want, got *cel.Type) bool {
	if got.Kind() == types.DynKind || want.Kind() == types.DynKind {
		return true
	}
	wp, gp := want.Parameters(), got.Parameters()
	if want.Kind() != got.Kind() || len(wp) != len(gp) || len(wp) == 0 {
		return want.IsAssignableType(got)
	}
	if want.TypeName() != got.TypeName() {
		return false
	}
	for i := range wp {
		if !compatible(wp[i], gp[i]) {
			return false
		}
	}
	return true
}

// celIssue renders the first compile error with its place in the expression.
func celIssue(iss *cel.Issues) string {
	errs := iss.Errors()
	if len(errs) == 0 {
		return strings.ReplaceAll(iss.Err().Error(), "\n", " ")
	}
	e := errs[0]
	msg := e.Message
	if loc := e.Location; loc != nil && loc.Line() > 0 {
		msg += fmt.Sprintf(" (expression line %d, column %d)", loc.Line(), loc.Column()+1)
	}
	if len(errs) > 1 {
		msg += fmt.Sprintf(" and %d more", len(errs)-1)
	}
	return msg
}

func checkNoMapIteration(native *celast.AST) error {
	var err error
	celast.PostOrderVisit(native.Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if e.Kind() != celast.ComprehensionKind || err != nil {
			return
		}
		if t := native.GetType(e.AsComprehension().IterRange().ID()); t != nil && t.Kind() == types.MapKind {
			err = errors.New("iterating over a map is not allowed (its order is not deterministic)")
		}
	}))
	return err
}
