package ledger

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// JSON form of values, typed by the declared field types: party, text and contractId as
// strings; int as a number or a string of digits; decimal as a string (or a number
// literal, read exactly); time as an RFC 3339 string with at most microseconds; bool as
// true or false; list as an array; optional as null or the value, except that an optional
// of an optional is [] or [value].

// jsonTimeLayout is the layout of times in JSON.
const jsonTimeLayout = "2006-01-02T15:04:05.999999Z07:00"

// ValueFromJSON decodes the JSON form of a value of type t.
func ValueFromJSON(t Type, data []byte) (Value, error) {
	n, err := parseJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidCommand, err)
	}
	return valueFromJSON("value", t, n)
}

func valueFromJSON(where string, t Type, n *jnode) (Value, error) {
	v, err := jsonToValue(where, t, n)
	if err != nil {
		return nil, err
	}
	return v, CheckValue(where, t, v)
}

func jsonToValue(where string, t Type, n *jnode) (Value, error) {
	bad := &TypeError{Where: where, Expected: t.String(), Got: n.describe()}
	switch {
	case n.kind == 's' && t.Kind == KindParty:
		return PartyValue(n.text), nil
	case n.kind == 's' && t.Kind == KindText:
		return TextValue(n.text), nil
	case n.kind == 's' && t.Kind == KindContractID:
		return ContractIDValue(n.text), nil
	case (n.kind == 's' || n.kind == 'n') && t.Kind == KindInt:
		i, err := strconv.ParseInt(n.text, 10, 64)
		if err != nil {
			return nil, bad
		}
		return IntValue(i), nil
	case (n.kind == 's' || n.kind == 'n') && t.Kind == KindDecimal:
		d, err := ParseDecimal(n.text)
		if err != nil {
			return nil, &TypeError{Where: where, Expected: t.String(), Got: err.Error()}
		}
		return DecimalValue{d}, nil
	case n.kind == 's' && t.Kind == KindTime:
		return timeFromJSON(bad, n.text)
	case n.kind == 'b' && t.Kind == KindBool:
		return BoolValue(n.b), nil
	case n.kind == '[' && t.Kind == KindList:
		return listFromJSON(where, t, n)
	case t.Kind == KindOptional:
		return optionalFromJSON(where, t, n, bad)
	}
	return nil, bad
}

func timeFromJSON(bad error, s string) (Value, error) {
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || tm.Nanosecond()%1000 != 0 {
		return nil, bad
	}
	return TimeFromGo(tm), nil
}

func listFromJSON(where string, t Type, n *jnode) (Value, error) {
	out := make(ListValue, 0, len(n.arr))
	for i, e := range n.arr {
		v, err := jsonToValue(fmt.Sprintf("%s[%d]", where, i), *t.Elem, e)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func optionalFromJSON(where string, t Type, n *jnode, bad error) (Value, error) {
	if t.Elem.Kind != KindOptional {
		if n.kind == '0' {
			return OptionalValue{}, nil
		}
		v, err := jsonToValue(where+"?", *t.Elem, n)
		return OptionalValue{V: v}, err
	}
	if n.kind != '[' || len(n.arr) > 1 {
		return nil, bad
	}
	if len(n.arr) == 0 {
		return OptionalValue{}, nil
	}
	v, err := jsonToValue(where+"?", *t.Elem, n.arr[0])
	return OptionalValue{V: v}, err
}

// ValueToJSON returns the JSON form of v, a value of type t (see ValueFromJSON).
func ValueToJSON(t Type, v Value) ([]byte, error) { return json.Marshal(jsonForm(t, v)) }

func jsonForm(t Type, v Value) any {
	switch x := v.(type) {
	case PartyValue, TextValue, ContractIDValue:
		return x
	case IntValue:
		return strconv.FormatInt(int64(x), 10)
	case DecimalValue:
		return x.String()
	case TimeValue:
		return x.Go().Format(jsonTimeLayout)
	case BoolValue:
		return bool(x)
	case ListValue:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonForm(*t.Elem, e)
		}
		return out
	case OptionalValue:
		return optionalJSONForm(t, x)
	}
	return nil
}

func optionalJSONForm(t Type, x OptionalValue) any {
	nested := t.Elem != nil && t.Elem.Kind == KindOptional
	switch {
	case x.V == nil && nested:
		return []any{}
	case x.V == nil:
		return nil
	case nested:
		return []any{jsonForm(*t.Elem, x.V)}
	}
	return jsonForm(*t.Elem, x.V)
}

// recordFromJSON decodes a JSON object with one member per field.
func recordFromJSON(where string, fields []Field, n *jnode) (Record, error) {
	if n.kind != '{' {
		return nil, &TypeError{Where: where, Expected: "an object", Got: n.describe()}
	}
	r := make(Record, len(n.obj))
	for _, k := range sortedKeys(n.obj) {
		f, ok := findField(fields, k)
		if !ok {
			return nil, &TypeError{Where: where + "." + k, Expected: "no such field", Got: "unexpected field"}
		}
		v, err := valueFromJSON(where+"."+k, f.Type, n.obj[k])
		if err != nil {
			return nil, err
		}
		r[k] = v
	}
	return r, CheckRecord(where, fields, r)
}

func findField(fields []Field, name string) (Field, bool) {
	for _, f := range fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// recordJSONForm returns the JSON form of a record of the given fields.
func recordJSONForm(fields []Field, r Record) map[string]any {
	out := make(map[string]any, len(r))
	for _, f := range fields {
		if v, ok := r[f.Name]; ok {
			out[f.Name] = jsonForm(f.Type, v)
		}
	}
	return out
}
