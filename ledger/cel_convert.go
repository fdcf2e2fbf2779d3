package ledger

import (
	"fmt"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
)

// celType returns the CEL type of values of t: parties, text and contract ids are
// strings, times are timestamps, decimals the decimal type.
func celType(t Type) *cel.Type {
	switch t.Kind {
	case KindParty, KindText, KindContractID:
		return cel.StringType
	case KindInt:
		return cel.IntType
	case KindBool:
		return cel.BoolType
	case KindTime:
		return cel.TimestampType
	case KindDecimal:
		return celDecimalType
	case KindList:
		return cel.ListType(celType(*t.Elem))
	case KindOptional:
		return cel.OptionalType(celType(*t.Elem))
	}
	return cel.DynType
}

// toCEL converts a ledger value to a CEL value.
func toCEL(v Value) ref.Val {
	switch x := v.(type) {
	case PartyValue:
		return types.String(x)
	case TextValue:
		return types.String(x)
	case ContractIDValue:
		return types.String(x)
	case IntValue:
		return types.Int(x)
	case BoolValue:
		return types.Bool(x)
	case TimeValue:
		return types.Timestamp{Time: x.Go()}
	case DecimalValue:
		return celDecimal{x.Decimal}
	case ListValue:
		elems := make([]ref.Val, len(x))
		for i, e := range x {
			elems[i] = toCEL(e)
		}
		return types.NewRefValList(types.DefaultTypeAdapter, elems)
	case OptionalValue:
		if x.V == nil {
			return types.OptionalNone
		}
		return types.OptionalOf(toCEL(x.V))
	}
	return types.NewErr("no CEL form for %T", v)
}

// recordToCEL converts a record to a CEL map from field name to value.
func recordToCEL(r Record) ref.Val {
	m := make(map[ref.Val]ref.Val, len(r))
	for k, v := range r {
		m[types.String(k)] = toCEL(v)
	}
	return types.NewRefValMap(types.DefaultTypeAdapter, m)
}

// fromCEL converts a CEL value to a ledger value of type t; where names it in errors.
func fromCEL(where string, t Type, v ref.Val) (Value, error) {
	out, err := convertCEL(where, t, v)
	if err != nil {
		return nil, err
	}
	if err := CheckValue(where, t, out); err != nil {
		return nil, err
	}
	return out, nil
}

func mismatch(where string, t Type, v ref.Val) error {
	got := "nothing"
	if v != nil {
		got = v.Type().TypeName()
	}
	return &TypeError{Where: where, Expected: t.String(), Got: got}
}

// convertCEL converts v to a value of type t.
func convertCEL(where string, t Type, v ref.Val) (Value, error) {
	switch x := v.(type) {
	case types.String:
		switch t.Kind {
		case KindParty:
			return PartyValue(x), nil
		case KindContractID:
			return ContractIDValue(x), nil
		case KindText:
			return TextValue(x), nil
		}
	case types.Int:
		if t.Kind == KindInt {
			return IntValue(x), nil
		}
	case types.Bool:
		if t.Kind == KindBool {
			return BoolValue(x), nil
		}
	case celDecimal:
		if t.Kind == KindDecimal {
			return DecimalValue{x.d}, nil
		}
	case types.Timestamp:
		if t.Kind == KindTime {
			return convertTime(where, t, x)
		}
	case traits.Lister:
		if t.Kind == KindList {
			return convertList(where, t, x)
		}
	case *types.Optional:
		if t.Kind == KindOptional {
			return convertOptional(where, t, x)
		}
	}
	return nil, mismatch(where, t, v)
}

func convertTime(where string, t Type, ts types.Timestamp) (Value, error) {
	if ts.Nanosecond()%1000 != 0 {
		return nil, &TypeError{Where: where, Expected: t.String(), Got: "timestamp with sub-microsecond precision"}
	}
	return TimeFromGo(ts.Time), nil
}

func convertList(where string, t Type, l traits.Lister) (Value, error) {
	n, ok := l.Size().(types.Int)
	if !ok {
		return nil, mismatch(where, t, l)
	}
	out := make(ListValue, 0, int(n))
	for i := types.Int(0); i < n; i++ {
		e, err := convertCEL(fmt.Sprintf("%s[%d]", where, i), *t.Elem, l.Get(i))
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func convertOptional(where string, t Type, o *types.Optional) (Value, error) {
	if !o.HasValue() {
		return OptionalValue{}, nil
	}
	e, err := convertCEL(where+"?", *t.Elem, o.GetValue())
	if err != nil {
		return nil, err
	}
	return OptionalValue{V: e}, nil
}
