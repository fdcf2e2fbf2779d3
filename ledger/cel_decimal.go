package ledger

import (
	"fmt"
	"reflect"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
)

// celDecimalType is the CEL type of decimals. Expressions build decimals with
// decimal("1.5") or decimal(3) and use + - * / unary -, comparisons, == and string(d).
var celDecimalType = types.NewObjectType("cometsync.Decimal",
	traits.AdderType|traits.SubtractorType|traits.MultiplierType|traits.DividerType|
		traits.NegatorType|traits.ComparerType)

// celDecimal is a Decimal as a CEL value.
type celDecimal struct{ d Decimal }

func (v celDecimal) ConvertToNative(t reflect.Type) (any, error) {
	if t == reflect.TypeOf(Decimal{}) {
		return v.d, nil
	}
	return nil, fmt.Errorf("decimal cannot convert to %v", t)
}

func (v celDecimal) ConvertToType(t ref.Type) ref.Val {
	switch t {
	case celDecimalType:
		return v
	case types.StringType:
		return types.String(v.d.String())
	case types.TypeType:
		return celDecimalType
	}
	return types.NewErr("type conversion error from decimal to %s", t.TypeName())
}

func (v celDecimal) Equal(o ref.Val) ref.Val {
	od, ok := o.(celDecimal)
	return types.Bool(ok && v.d.Cmp(od.d) == 0)
}

func (v celDecimal) Type() ref.Type { return celDecimalType }
func (v celDecimal) Value() any     { return v.d }

// decimalLib declares the decimal type and its functions. Operators are declared without
// bindings: CEL's standard library dispatches them to the traits celDecimal implements.
func decimalLib() []cel.EnvOption {
	d := celDecimalType
	pair := []*cel.Type{d, d}
	return []cel.EnvOption{
		cel.Function("decimal",
			cel.Overload("decimal_string", []*cel.Type{cel.StringType}, d, cel.UnaryBinding(decimalFromString)),
			cel.Overload("decimal_int", []*cel.Type{cel.IntType}, d, cel.UnaryBinding(decimalFromInt))),
		cel.Function("string",
			cel.Overload("string_decimal", []*cel.Type{d}, cel.StringType, cel.UnaryBinding(func(v ref.Val) ref.Val {
				return v.ConvertToType(types.StringType)
			}))),
		cel.Function(operators.Add, cel.Overload("add_decimal", pair, d)),
		cel.Function(operators.Subtract, cel.Overload("subtract_decimal", pair, d)),
		cel.Function(operators.Multiply, cel.Overload("multiply_decimal", pair, d)),
		cel.Function(operators.Divide, cel.Overload("divide_decimal", pair, d)),
		cel.Function(operators.Negate, cel.Overload("negate_decimal", []*cel.Type{d}, d)),
		cel.Function(operators.Less, cel.Overload("less_decimal", pair, cel.BoolType)),
		cel.Function(operators.LessEquals, cel.Overload("less_equals_decimal", pair, cel.BoolType)),
		cel.Function(operators.Greater, cel.Overload("greater_decimal", pair, cel.BoolType)),
		cel.Function(operators.GreaterEquals, cel.Overload("greater_equals_decimal", pair, cel.BoolType)),
	}
}

func decimalFromString(v ref.Val) ref.Val {
	s, ok := v.(types.String)
	if !ok {
		return types.MaybeNoSuchOverloadErr(v)
	}
	d, err := ParseDecimal(string(s))
	if err != nil {
		return types.NewErr("%v", err)
	}
	return celDecimal{d}
}

func decimalFromInt(v ref.Val) ref.Val {
	i, ok := v.(types.Int)
	if !ok {
		return types.MaybeNoSuchOverloadErr(v)
	}
	return celDecimal{NewDecimalFromInt(int64(i))}
}

// arith applies f to v and other, which must be a decimal too.
func (v celDecimal) arith(other ref.Val, f func(Decimal, Decimal) (Decimal, error)) ref.Val {
	o, ok := other.(celDecimal)
	if !ok {
		return types.MaybeNoSuchOverloadErr(other)
	}
	r, err := f(v.d, o.d)
	if err != nil {
		return types.NewErr("%v", err)
	}
	return celDecimal{r}
}

// Add implements traits.Adder.
func (v celDecimal) Add(o ref.Val) ref.Val { return v.arith(o, Decimal.Add) }

// Subtract implements traits.Subtractor.
func (v celDecimal) Subtract(o ref.Val) ref.Val { return v.arith(o, Decimal.Sub) }

// Multiply implements traits.Multiplier.
func (v celDecimal) Multiply(o ref.Val) ref.Val { return v.arith(o, Decimal.Mul) }

// Divide implements traits.Divider.
func (v celDecimal) Divide(o ref.Val) ref.Val { return v.arith(o, Decimal.Quo) }

// Negate implements traits.Negater.
func (v celDecimal) Negate() ref.Val { return celDecimal{v.d.Neg()} }

// Compare implements traits.Comparer.
func (v celDecimal) Compare(other ref.Val) ref.Val {
	o, ok := other.(celDecimal)
	if !ok {
		return types.MaybeNoSuchOverloadErr(other)
	}
	return types.Int(v.d.Cmp(o.d))
}
