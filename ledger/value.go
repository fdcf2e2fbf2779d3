package ledger

import (
	"fmt"
	"time"
)

// Value is a ledger value: the argument of a contract or choice, or a choice result.
// Implementations are the XxxValue types of this package; values carry no floats and
// encode canonically (see EncodeValue).
type Value interface {
	// Kind returns the value's kind.
	Kind() TypeKind
	isValue()
}

// PartyValue is a party.
type PartyValue Party

// TextValue is a UTF-8 string.
type TextValue string

// IntValue is a signed 64-bit integer.
type IntValue int64

// DecimalValue is an exact fixed-point number.
type DecimalValue struct{ Decimal }

// TimeValue is a UTC instant in microseconds since the Unix epoch.
type TimeValue int64

// ContractIDValue is a contract id.
type ContractIDValue ContractID

// BoolValue is a boolean.
type BoolValue bool

// ListValue is a list; its elements all have the list's element type.
type ListValue []Value

// OptionalValue is an optional value: V is nil for none.
type OptionalValue struct{ V Value }

func (PartyValue) Kind() TypeKind      { return KindParty }
func (TextValue) Kind() TypeKind       { return KindText }
func (IntValue) Kind() TypeKind        { return KindInt }
func (DecimalValue) Kind() TypeKind    { return KindDecimal }
func (TimeValue) Kind() TypeKind       { return KindTime }
func (ContractIDValue) Kind() TypeKind { return KindContractID }
func (BoolValue) Kind() TypeKind       { return KindBool }
func (ListValue) Kind() TypeKind       { return KindList }
func (OptionalValue) Kind() TypeKind   { return KindOptional }

func (PartyValue) isValue()      {}
func (TextValue) isValue()       {}
func (IntValue) isValue()        {}
func (DecimalValue) isValue()    {}
func (TimeValue) isValue()       {}
func (ContractIDValue) isValue() {}
func (BoolValue) isValue()       {}
func (ListValue) isValue()       {}
func (OptionalValue) isValue()   {}

// TimeFromGo converts t to a TimeValue, truncating to microseconds.
func TimeFromGo(t time.Time) TimeValue { return TimeValue(t.UnixMicro()) }

// Go returns the instant as a UTC time.Time.
func (t TimeValue) Go() time.Time { return time.UnixMicro(int64(t)).UTC() }

// Record is a set of named values: the arguments of a contract or a choice.
type Record map[string]Value

// CheckValue checks that v has type t; where names the value in the error.
func CheckValue(where string, t Type, v Value) error {
	if v == nil {
		return &TypeError{Where: where, Expected: t.String(), Got: "nothing"}
	}
	if v.Kind() != t.Kind {
		return &TypeError{Where: where, Expected: t.String(), Got: v.Kind().String()}
	}
	switch x := v.(type) {
	case PartyValue:
		if err := ValidateParty(Party(x)); err != nil {
			return &TypeError{Where: where, Expected: t.String(), Got: fmt.Sprintf("malformed party %q", string(x))}
		}
	case ContractIDValue:
		if err := ValidateContractID(ContractID(x)); err != nil {
			return &TypeError{Where: where, Expected: t.String(), Got: fmt.Sprintf("malformed contract id %q", string(x))}
		}
	case ListValue:
		for i, e := range x {
			if err := CheckValue(fmt.Sprintf("%s[%d]", where, i), *t.Elem, e); err != nil {
				return err
			}
		}
	case OptionalValue:
		if x.V != nil {
			return CheckValue(where+"?", *t.Elem, x.V)
		}
	}
	return nil
}

// CheckRecord checks that r has exactly the given fields with their types; where names the
// record in errors.
func CheckRecord(where string, fields []Field, r Record) error {
	for _, f := range fields {
		v, ok := r[f.Name]
		if !ok {
			return &TypeError{Where: where + "." + f.Name, Expected: f.Type.String(), Got: "missing field"}
		}
		if err := CheckValue(where+"."+f.Name, f.Type, v); err != nil {
			return err
		}
	}
	if len(r) != len(fields) {
		for _, name := range sortedKeys(r) {
			if !hasField(fields, name) {
				return &TypeError{Where: where + "." + name, Expected: "no such field", Got: "unexpected field"}
			}
		}
	}
	return nil
}

func hasField(fields []Field, name string) bool {
	for _, f := range fields {
		if f.Name == name {
			return true
		}
	}
	return false
}
