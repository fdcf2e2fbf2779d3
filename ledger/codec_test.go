package ledger

import (
	"bytes"
	"errors"
	"testing"
)

func sampleValues() []Value {
	return []Value{
		PartyValue(alice), TextValue(""), TextValue("héllo"), IntValue(-1), IntValue(1 << 62),
		dec("-12.5"), TimeValue(-5), BoolValue(true), ContractIDValue(DeriveContractID(Seed{}, &Contract{})),
		ListValue{}, ListValue{IntValue(1), ListValue{}}, OptionalValue{}, OptionalValue{V: OptionalValue{}},
	}
}

func TestValueEncodingRoundTrip(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range sampleValues() {
		enc := EncodeValue(v)
		if seen[string(enc)] {
			t.Errorf("%s: encoding collides with another value", ValueString(v))
		}
		seen[string(enc)] = true
		back, err := DecodeValue(enc)
		if err != nil || !bytes.Equal(EncodeValue(back), enc) {
			t.Errorf("%s: round trip: %v", ValueString(v), err)
		}
	}
}

func TestRecordEncodingIgnoresInsertionOrder(t *testing.T) {
	a := Record{"a": IntValue(1), "b": IntValue(2), "c": IntValue(3)}
	b := Record{"c": IntValue(3), "a": IntValue(1), "b": IntValue(2)}
	var ea, eb encoder
	ea.record(a)
	eb.record(b)
	if !bytes.Equal(ea.b, eb.b) {
		t.Fatal("record encoding depends on insertion order")
	}
}

func TestDecodeRejectsNonCanonical(t *testing.T) {
	party := func(s string) []byte { return append([]byte{1, byte(KindParty)}, lenPrefixed(s)...) }
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"bad version", []byte{2, byte(KindBool), 0}},
		{"unknown kind", []byte{1, 99}},
		{"bool byte 2", []byte{1, byte(KindBool), 2}},
		{"trailing bytes", []byte{1, byte(KindBool), 1, 0}},
		{"truncated string", []byte{1, byte(KindText), 0, 0, 0, 5, 'a'}},
		{"huge count", []byte{1, byte(KindList), 0xff, 0xff, 0xff, 0xff}},
		{"invalid UTF-8", append([]byte{1, byte(KindText)}, lenPrefixed("\xff")...)},
		{"non-canonical decimal", append([]byte{1, byte(KindDecimal)}, lenPrefixed("1.50")...)},
		{"bad party", party("has space")},
		{"bad contract id", append([]byte{1, byte(KindContractID)}, lenPrefixed("00zz")...)},
		{"too deep", append([]byte{1}, bytes.Repeat([]byte{byte(KindOptional), 1}, 100)...)},
	}
	for _, tc := range tests {
		if _, err := DecodeValue(tc.in); !errors.Is(err, ErrMalformedEncoding) {
			t.Errorf("%s: want ErrMalformedEncoding, got %v", tc.name, err)
		}
	}
}

func lenPrefixed(s string) []byte {
	var e encoder
	e.str(s)
	return e.b
}

func TestDecodeRejectsUnsortedParties(t *testing.T) {
	n := &Node{Kind: NodeFetch, ContractID: DeriveContractID(Seed{}, &Contract{}), Template: TemplateID{"p", "T"},
		Signatories: PartySet{bob, alice}}
	if _, err := DecodeNode(EncodeNode(n)); !errors.Is(err, ErrMalformedEncoding) {
		t.Fatalf("unsorted party set: %v", err)
	}
	n.Signatories = NewPartySet(bob, alice)
	if _, err := DecodeNode(EncodeNode(n)); err != nil {
		t.Fatal(err)
	}
}

func TestContractEncodingRoundTrip(t *testing.T) {
	l, _, cid := iouSetup(t)
	c := l.acs[cid]
	back, err := DecodeContract(EncodeContract(c))
	if err != nil || !bytes.Equal(EncodeContract(back), EncodeContract(c)) {
		t.Fatalf("round trip: %v", err)
	}
}
