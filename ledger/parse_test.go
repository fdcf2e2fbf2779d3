package ledger

import (
	"errors"
	"strings"
	"testing"
)

const minimalYAML = `package: tiny
version: "1.0"
templates:
  T:
    fields: {p: party, n: int}
    signatories: "[p]"
`

func TestPackageErrorsHaveLineAndColumn(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		line, col int
		msg       string
	}{
		{"yaml syntax", "package: a\n  version: [\n", 2, 1, "yaml"},
		{"not a mapping", "- a\n- b\n", 1, 1, "expected a mapping"},
		{"unknown top-level key", minimalYAML + "extra: 1\n", 7, 8, `unknown key "extra"`},
		{"missing templates", "package: a\nversion: \"1\"\n", 1, 1, `missing key "templates"`},
		{"bad package name", strings.Replace(minimalYAML, "tiny", "Tiny!", 1), 1, 10, "does not match"},
		{"duplicate key", minimalYAML + "    ensure: 'true'\n    ensure: 'false'\n", 8, 5, `duplicate key "ensure"`},
		{"unknown type", strings.Replace(minimalYAML, "n: int", "n: float", 1), 5, 27, `unknown type "float"`},
		{"reserved field name", strings.Replace(minimalYAML, "n: int", "self: int", 1), 5, 30, "reserved"},
		{"CEL syntax error", strings.Replace(minimalYAML, `"[p]"`, `"[p"`, 1), 6, 18, "Syntax error"},
		{"CEL undeclared name", strings.Replace(minimalYAML, `"[p]"`, `"[q]"`, 1), 6, 18, "undeclared reference"},
		{"CEL wrong type", strings.Replace(minimalYAML, `"[p]"`, `"p"`, 1), 6, 18, "want list(string)"},
		{"floating point", minimalYAML + "    ensure: 'double(n) > 1.5'\n", 7, 13, "floating point"},
		{"time zones", minimalYAML + "    ensure: \"timestamp('2024-01-01T00:00:00Z').getHours('Europe/Paris') > 1\"\n", 7, 13, "not allowed"},
		{"map iteration", minimalYAML + "    ensure: \"{'a': 1, 'b': 2}.map(k, k)[0] == 'a'\"\n", 7, 13, "iterating over a map"},
		{"dyn", minimalYAML + "    ensure: \"dyn(n) == 1\"\n", 7, 13, "not allowed"},
		{"anchor", minimalYAML + "    ensure: &a 'true'\n", 7, 13, "anchors"},
		{"unknown template in body", minimalYAML + `    choices:
      C:
        controllers: "[p]"
        body:
          - create: Nope
`, 11, 13, `unknown template "Nope"`},
		{"missing argument", minimalYAML + `    choices:
      C:
        controllers: "[p]"
        body:
          - create: T
            args: {p: p}
`, 11, 13, `missing argument "n"`},
		{"binding used before it is bound", minimalYAML + `    choices:
      C:
        controllers: "[p]"
        returns: contractId
        body:
          - create: T
            args: {p: p, n: "size(x)"}
            bind: x
        result: x
`, 13, 29, "undeclared reference to 'x' (expression line 1, column 6)"},
		{"returns without result", minimalYAML + `    choices:
      C:
        controllers: "[p]"
        returns: int
`, 9, 9, "returns and result go together"},
		{"parameter shadows field", minimalYAML + `    choices:
      C:
        controllers: "[p]"
        parameters: {n: int}
`, 10, 25, "shadows a field"},
		{"bind of a choice without result", minimalYAML + `    choices:
      C:
        controllers: "[p]"
        consuming: false
      D:
        controllers: "[p]"
        body:
          - exercise: C
            template: T
            contract: self
            bind: r
`, 14, 13, "returns nothing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ValidatePackage([]byte(tc.src))
			var pe *PackageError
			if !errors.As(err, &pe) || !errors.Is(err, ErrInvalidPackage) {
				t.Fatalf("want a PackageError, got %v", err)
			}
			if pe.Pos.Line != tc.line || pe.Pos.Column != tc.col || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %d:%d %v; want %d:%d containing %q", pe.Pos.Line, pe.Pos.Column, err, tc.line, tc.col, tc.msg)
			}
		})
	}
}

func TestPackageIDIsCanonical(t *testing.T) {
	base, err := ParsePackage([]byte(minimalYAML))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(base.ID), "1220") || len(base.ID) != 68 {
		t.Fatalf("id %s: want 1220 + 64 hex digits", base.ID)
	}
	same := []string{
		// Comments, key order and flow versus block style do not matter.
		"# a comment\nversion: \"1.0\"\ntemplates:\n  T:\n    signatories: \"[p]\"\n    fields:\n      n: int\n      p: party\npackage: tiny\n",
		// JSON is YAML.
		`{"package": "tiny", "version": "1.0", "templates": {"T": {"fields": {"p": "party", "n": "int"}, "signatories": "[p]"}}}`,
	}
	for i, src := range same {
		p, err := ParsePackage([]byte(src))
		if err != nil {
			t.Fatalf("variant %d: %v", i, err)
		}
		if p.ID != base.ID {
			t.Errorf("variant %d: id %s, want %s", i, p.ID, base.ID)
		}
	}
	different := []string{
		strings.Replace(minimalYAML, `"1.0"`, `"1.1"`, 1),
		strings.Replace(minimalYAML, "n: int", "n: decimal", 1),
		strings.Replace(minimalYAML, `"[p]"`, `"[p, p]"`, 1),
		minimalYAML + "    ensure: n > 0\n",
	}
	for i, src := range different {
		p, err := ParsePackage([]byte(src))
		if err != nil {
			t.Fatalf("change %d: %v", i, err)
		}
		if p.ID == base.ID {
			t.Errorf("change %d did not change the id", i)
		}
	}
}

func TestNewPackageSetRejectsForgedID(t *testing.T) {
	p, err := ParsePackage([]byte(minimalYAML))
	if err != nil {
		t.Fatal(err)
	}
	p.Version = "9"
	if _, err := NewPackageSet(p); !errors.Is(err, ErrInvalidPackage) {
		t.Fatalf("a package whose id does not match its content: %v", err)
	}
}

func TestExamplesValidate(t *testing.T) {
	for _, name := range []string{"iou.yaml", "dvp.yaml"} {
		if _, err := ValidatePackage(mustRead(t, "../examples/"+name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseType(t *testing.T) {
	for _, s := range []string{"party", "text", "int", "decimal", "time", "contractId", "bool", "list<party>", "optional<list<decimal>>"} {
		ty, err := ParseType(s)
		if err != nil || ty.String() != s {
			t.Errorf("%s: %v %v", s, ty, err)
		}
	}
	for _, s := range []string{"", "float", "list<>", "list<party", "optional<x>", strings.Repeat("list<", 10) + "int" + strings.Repeat(">", 10)} {
		if _, err := ParseType(s); err == nil {
			t.Errorf("%q: want an error", s)
		}
	}
}
