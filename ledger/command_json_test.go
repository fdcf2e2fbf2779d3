package ledger

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestDecodeCommand(t *testing.T) {
	f := newBoxFixture(t)
	create := `{"actAs": ["Alice::1220cc"], "create": {"template": "box:Box", "arguments": {
		"owner": "Alice::1220cc", "watchers": ["Bob::1220dd"], "n": 3, "note": "hi",
		"when": "2026-03-01T12:00:00.000001Z"}}}`
	cmd, err := DecodeCommand(f.pkgs, []byte(create))
	if err != nil {
		t.Fatal(err)
	}
	if cmd.Kind != CommandCreate || cmd.Template != f.tid("Box") || cmd.Arguments["n"] != IntValue(3) ||
		cmd.Arguments["note"] != (OptionalValue{V: TextValue("hi")}) || cmd.Arguments["when"] != TimeFromGo(testTime)+1 {
		t.Fatalf("decoded %+v", cmd)
	}
	if _, err := Interpret(f.pkgs, cmd, f.acs, testTime, seedOf(1)); err != nil {
		t.Fatalf("decoded command does not interpret: %v", err)
	}
	enc, err := EncodeCommand(f.pkgs, cmd)
	if err != nil {
		t.Fatal(err)
	}
	again, err := DecodeCommand(f.pkgs, enc)
	if err != nil {
		t.Fatal(err)
	}
	enc2, _ := EncodeCommand(f.pkgs, again)
	if !bytes.Equal(enc, enc2) {
		t.Fatalf("JSON round trip differs:\n%s\n%s", enc, enc2)
	}
	ex := `{"actAs": ["Alice::1220cc"], "exercise": {"template": "` + string(f.pkg.ID) + `:Box", "contractId": "` +
		string(f.box) + `", "choice": "Check", "arguments": {"ok": true}}}`
	if cmd, err = DecodeCommand(f.pkgs, []byte(ex)); err != nil || cmd.Choice != "Check" || cmd.Arguments["ok"] != BoolValue(true) {
		t.Fatalf("exercise: %+v %v", cmd, err)
	}
}

func TestDecodeCommandErrors(t *testing.T) {
	f := newBoxFixture(t)
	box := func(args string) string {
		return `{"actAs": ["Alice::1220cc"], "create": {"template": "box:Box", "arguments": {` + args + `}}}`
	}
	ok := `"owner": "Alice::1220cc", "watchers": [], "note": null, "when": "2026-03-01T12:00:00Z"`
	tests := []struct {
		name     string
		in       string
		sentinel error
		msg      string
	}{
		{"not JSON", `{`, ErrInvalidCommand, "EOF"},
		{"trailing data", `{} {}`, ErrInvalidCommand, "trailing"},
		{"duplicate key", `{"actAs": [], "actAs": []}`, ErrInvalidCommand, "duplicate"},
		{"unknown key", `{"actAs": [], "frobnicate": 1}`, ErrInvalidCommand, "unknown key"},
		{"no action", `{"actAs": ["Alice::1220cc"]}`, ErrInvalidCommand, "exactly one"},
		{"missing actAs", `{"create": {"template": "box:Box"}}`, ErrInvalidCommand, "missing actAs"},
		{"empty actAs", `{"actAs": [], "create": {"template": "box:Other", "arguments": {"owner": "A"}}}`, ErrInvalidCommand, "no actAs"},
		{"unknown package", `{"actAs": ["A"], "create": {"template": "nope:Box"}}`, ErrUnknownPackage, "nope"},
		{"unknown template", `{"actAs": ["A"], "create": {"template": "box:Nope"}}`, ErrUnknownTemplate, "Nope"},
		{"int as float", box(ok + `, "n": 1.5`), ErrTypeMismatch, "arguments.n"},
		{"int too big", box(ok + `, "n": 99999999999999999999`), ErrTypeMismatch, "arguments.n"},
		{"missing field", box(ok), ErrTypeMismatch, "arguments.n: expected int, got missing field"},
		{"extra field", box(ok + `, "n": 1, "x": 2`), ErrTypeMismatch, "arguments.x"},
		{"party of wrong type", box(strings.Replace(ok, `"Alice::1220cc"`, `7`, 1) + `, "n": 1`), ErrTypeMismatch, "arguments.owner"},
		{"sub-microsecond time", box(strings.Replace(ok, "12:00:00Z", "12:00:00.0000001Z", 1) + `, "n": 1`), ErrTypeMismatch, "arguments.when"},
		{"bad contract id", `{"actAs": ["A"], "exercise": {"template": "box:Box", "contractId": "xyz", "choice": "Bump"}}`, ErrTypeMismatch, "contractId"},
		{"unknown choice", `{"actAs": ["A"], "exercise": {"template": "box:Box", "contractId": "` + string(f.box) + `", "choice": "Nope"}}`, ErrUnknownChoice, "Nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeCommand(f.pkgs, []byte(tc.in))
			if !errors.Is(err, tc.sentinel) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want %v containing %q", err, tc.sentinel, tc.msg)
			}
		})
	}
}

func TestNestedOptionalJSON(t *testing.T) {
	ty := TOptional(TOptional(TInt))
	for _, tc := range []struct {
		in, out string
		want    Value
	}{
		{`[]`, `[]`, OptionalValue{}},
		{`[null]`, `[null]`, OptionalValue{V: OptionalValue{}}},
		{`[5]`, `["5"]`, OptionalValue{V: OptionalValue{V: IntValue(5)}}}, // ints encode as strings
	} {
		v, err := ValueFromJSON(ty, []byte(tc.in))
		if err != nil || !bytes.Equal(EncodeValue(v), EncodeValue(tc.want)) {
			t.Errorf("%s: got %s %v", tc.in, ValueString(v), err)
		}
		out, _ := ValueToJSON(ty, v)
		if string(out) != tc.out {
			t.Errorf("%s: encodes as %s", tc.in, out)
		}
	}
	if _, err := ValueFromJSON(ty, []byte(`[1, 2]`)); !errors.Is(err, ErrTypeMismatch) {
		t.Errorf("two elements: %v", err)
	}
}
