package ledger

import "fmt"

// EncodeValue returns the canonical encoding of v.
func EncodeValue(v Value) []byte {
	var e encoder
	e.u8(encodingVersion)
	e.value(v)
	return e.b
}

// DecodeValue decodes a canonical value encoding.
func DecodeValue(b []byte) (Value, error) {
	d := &decoder{b: b}
	d.version()
	v := d.value()
	if err := d.finish(); err != nil {
		return nil, err
	}
	return v, nil
}

func (e *encoder) value(v Value) {
	e.u8(uint8(v.Kind()))
	switch x := v.(type) {
	case PartyValue:
		e.str(string(x))
	case TextValue:
		e.str(string(x))
	case ContractIDValue:
		e.str(string(x))
	case IntValue:
		e.u64(uint64(x))
	case TimeValue:
		e.u64(uint64(x))
	case DecimalValue:
		e.str(x.String())
	case BoolValue:
		e.boolean(bool(x))
	case ListValue:
		e.u32(uint32(len(x)))
		for _, el := range x {
			e.value(el)
		}
	case OptionalValue:
		e.boolean(x.V != nil)
		if x.V != nil {
			e.value(x.V)
		}
	}
}

func (d *decoder) value() Value {
	if !d.enter() {
		return nil
	}
	defer d.leave()
	switch k := TypeKind(d.u8()); k {
	case KindParty:
		return PartyValue(d.checked(KindParty, d.str()))
	case KindText:
		return TextValue(d.str())
	case KindContractID:
		return ContractIDValue(d.checked(KindContractID, d.str()))
	case KindInt:
		return IntValue(int64(d.u64()))
	case KindTime:
		return TimeValue(int64(d.u64()))
	case KindDecimal:
		return d.decimal()
	case KindBool:
		return BoolValue(d.boolean())
	case KindList:
		return d.list()
	case KindOptional:
		if d.boolean() {
			return OptionalValue{V: d.value()}
		}
		return OptionalValue{}
	default:
		d.fail("unknown value kind %d", k)
		return nil
	}
}

// checked validates a party or contract id string.
func (d *decoder) checked(k TypeKind, s string) string {
	if d.err != nil {
		return s
	}
	var err error
	if k == KindParty {
		err = ValidateParty(Party(s))
	} else {
		err = ValidateContractID(ContractID(s))
	}
	if err != nil {
		d.fail("%v", err)
	}
	return s
}

func (d *decoder) decimal() Value {
	s := d.str()
	if d.err != nil {
		return nil
	}
	x, err := ParseDecimal(s)
	if err != nil || x.String() != s {
		d.fail("decimal %q is not canonical", s)
		return nil
	}
	return DecimalValue{x}
}

func (d *decoder) list() Value {
	n := d.count()
	out := make(ListValue, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.value())
	}
	return out
}

func (e *encoder) record(r Record) {
	e.u32(uint32(len(r)))
	for _, k := range sortedKeys(r) {
		e.str(k)
		e.value(r[k])
	}
}

func (d *decoder) record() Record {
	n := d.count()
	out := make(Record, n)
	prev := ""
	for i := 0; i < n && d.err == nil; i++ {
		k := d.str()
		if i > 0 && k <= prev {
			d.fail("record fields not sorted and distinct at %q", k)
		}
		prev = k
		out[k] = d.value()
	}
	return out
}

// ValueString renders v for messages and tests: parties and text quoted, lists in
// brackets, optionals as none or some(x).
func ValueString(v Value) string {
	switch x := v.(type) {
	case nil:
		return "nothing"
	case PartyValue, TextValue, ContractIDValue:
		return fmt.Sprintf("%q", x)
	case IntValue:
		return fmt.Sprint(int64(x))
	case TimeValue:
		return x.Go().Format("2006-01-02T15:04:05.999999Z")
	case DecimalValue:
		return x.String()
	case BoolValue:
		return fmt.Sprint(bool(x))
	case ListValue:
		s := "["
		for i, el := range x {
			if i > 0 {
				s += ", "
			}
			s += ValueString(el)
		}
		return s + "]"
	case OptionalValue:
		if x.V == nil {
			return "none"
		}
		return "some(" + ValueString(x.V) + ")"
	}
	return "?"
}
