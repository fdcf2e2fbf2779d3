package ledger

import (
	"fmt"
	"strings"
)

// TypeKind is the kind of a field type.
type TypeKind uint8

// Type kinds. Their numbers are part of the canonical encodings; never renumber.
const (
	KindParty      TypeKind = 1
	KindText       TypeKind = 2
	KindInt        TypeKind = 3
	KindDecimal    TypeKind = 4
	KindTime       TypeKind = 5
	KindContractID TypeKind = 6
	KindBool       TypeKind = 7
	KindList       TypeKind = 8
	KindOptional   TypeKind = 9
)

var kindNames = map[TypeKind]string{
	KindParty: "party", KindText: "text", KindInt: "int", KindDecimal: "decimal",
	KindTime: "time", KindContractID: "contractId", KindBool: "bool",
	KindList: "list", KindOptional: "optional",
}

// String returns the kind's name as written in packages.
func (k TypeKind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Type is a field type: a primitive, list<T> or optional<T>.
type Type struct {
	Kind TypeKind
	Elem *Type // element type of list and optional, nil otherwise
}

// Primitive types.
var (
	TParty      = Type{Kind: KindParty}
	TText       = Type{Kind: KindText}
	TInt        = Type{Kind: KindInt}
	TDecimal    = Type{Kind: KindDecimal}
	TTime       = Type{Kind: KindTime}
	TContractID = Type{Kind: KindContractID}
	TBool       = Type{Kind: KindBool}
)

// TList returns list<elem>.
func TList(elem Type) Type { return Type{Kind: KindList, Elem: &elem} }

// TOptional returns optional<elem>.
func TOptional(elem Type) Type { return Type{Kind: KindOptional, Elem: &elem} }

// maxTypeDepth bounds the nesting of list and optional types.
const maxTypeDepth = 8

// ParseType parses a type: party, text, int, decimal, time, contractId, bool, list<T> or
// optional<T>.
func ParseType(s string) (Type, error) { return parseType(strings.TrimSpace(s), 0) }

func parseType(s string, depth int) (Type, error) {
	if depth > maxTypeDepth {
		return Type{}, fmt.Errorf("type %q nested deeper than %d", s, maxTypeDepth)
	}
	for k, name := range kindNames {
		if s == name && k != KindList && k != KindOptional {
			return Type{Kind: k}, nil
		}
	}
	for _, k := range []TypeKind{KindList, KindOptional} {
		inner, ok := strings.CutPrefix(s, kindNames[k]+"<")
		if !ok || !strings.HasSuffix(inner, ">") {
			continue
		}
		elem, err := parseType(strings.TrimSpace(strings.TrimSuffix(inner, ">")), depth+1)
		if err != nil {
			return Type{}, err
		}
		return Type{Kind: k, Elem: &elem}, nil
	}
	return Type{}, fmt.Errorf("unknown type %q (want party, text, int, decimal, time, contractId, bool, list<T> or optional<T>)", s)
}

// String returns the canonical spelling of t.
func (t Type) String() string {
	if t.Elem != nil {
		return t.Kind.String() + "<" + t.Elem.String() + ">"
	}
	return t.Kind.String()
}

// Equal reports whether t and o are the same type.
func (t Type) Equal(o Type) bool { return t.String() == o.String() }
