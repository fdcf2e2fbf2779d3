package ledger

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

// ynode is a YAML node with the key path that led to it, for error messages.
type ynode struct {
	n    *yaml.Node
	path string
}

func (y ynode) pos() Position { return Position{Line: y.n.Line, Column: y.n.Column} }

func (y ynode) errf(format string, args ...any) error {
	return &PackageError{Pos: y.pos(), Path: y.path, Msg: fmt.Sprintf(format, args...)}
}

func (y ynode) child(key string, n *yaml.Node) ynode {
	if y.path == "" {
		return ynode{n: n, path: key}
	}
	return ynode{n: n, path: y.path + "." + key}
}

// plain rejects anchors, aliases and tags other than the standard ones: package files are
// plain data.
func (y ynode) plain() error {
	if y.n.Kind == yaml.AliasNode || y.n.Anchor != "" {
		return y.errf("anchors and aliases are not allowed")
	}
	if y.n.Tag != "" && (len(y.n.Tag) < 2 || y.n.Tag[:2] != "!!") {
		return y.errf("tag %q is not allowed", y.n.Tag)
	}
	return nil
}

// ymap is a YAML mapping with distinct scalar keys, in file order.
type ymap struct {
	y    ynode
	keys []string
	vals map[string]ynode
}

func (y ynode) mapping() (*ymap, error) {
	if err := y.plain(); err != nil {
		return nil, err
	}
	if y.n.Kind != yaml.MappingNode {
		return nil, y.errf("expected a mapping, got %s", kindName(y.n))
	}
	m := &ymap{y: y, vals: map[string]ynode{}}
	for i := 0; i+1 < len(y.n.Content); i += 2 {
		k := ynode{n: y.n.Content[i], path: y.path}
		key, err := k.scalar()
		if err != nil {
			return nil, err
		}
		if _, dup := m.vals[key]; dup {
			return nil, k.errf("duplicate key %q", key)
		}
		m.keys = append(m.keys, key)
		m.vals[key] = y.child(key, y.n.Content[i+1])
	}
	return m, nil
}

// only fails if m has a key not in allowed.
func (m *ymap) only(allowed ...string) error {
	for _, k := range m.keys {
		if !slices.Contains(allowed, k) {
			v := m.vals[k]
			return v.errf("unknown key %q (allowed: %v)", k, allowed)
		}
	}
	return nil
}

func (m *ymap) get(key string) (ynode, bool) {
	v, ok := m.vals[key]
	return v, ok
}

func (m *ymap) require(key string) (ynode, error) {
	v, ok := m.vals[key]
	if !ok {
		return ynode{}, m.y.errf("missing key %q", key)
	}
	return v, nil
}

// sortedKeys returns the keys in byte order, the canonical order of named declarations.
func (m *ymap) sortedKeys() []string {
	out := slices.Clone(m.keys)
	slices.Sort(out)
	return out
}

func (y ynode) scalar() (string, error) {
	if err := y.plain(); err != nil {
		return "", err
	}
	if y.n.Kind != yaml.ScalarNode {
		return "", y.errf("expected a scalar, got %s", kindName(y.n))
	}
	return y.n.Value, nil
}

func (y ynode) sequence() ([]ynode, error) {
	if err := y.plain(); err != nil {
		return nil, err
	}
	if y.n.Kind != yaml.SequenceNode {
		return nil, y.errf("expected a sequence, got %s", kindName(y.n))
	}
	out := make([]ynode, len(y.n.Content))
	for i, c := range y.n.Content {
		out[i] = ynode{n: c, path: fmt.Sprintf("%s[%d]", y.path, i)}
	}
	return out, nil
}

func (y ynode) boolean() (bool, error) {
	s, err := y.scalar()
	if err != nil {
		return false, err
	}
	switch s {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, y.errf("expected true or false, got %q", s)
}

// expr reads a CEL expression: any scalar (a number or true is a valid expression).
func (y ynode) expr() (Expr, error) {
	s, err := y.scalar()
	if err != nil {
		return Expr{}, err
	}
	if s == "" {
		return Expr{}, y.errf("empty expression")
	}
	return Expr{Source: s, Pos: y.pos()}, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.ScalarNode:
		return fmt.Sprintf("scalar %q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}
