package ledger

import (
	"fmt"
	"regexp"
	"slices"

	"go.yaml.in/yaml/v3"
)

// MaxPackageSize bounds the size in bytes of a package file.
const MaxPackageSize = 1 << 20

// ParsePackage parses a package file (YAML, or JSON which is YAML) and validates its
// structure. It does not compile the expressions; CompilePackage does. The returned
// package has its ID set. Errors are *PackageError with the line and column.
func ParsePackage(src []byte) (*Package, error) {
	root, err := parseYAML(src)
	if err != nil {
		return nil, err
	}
	pkg, err := parsePackageNode(root)
	if err != nil {
		return nil, err
	}
	pkg.ID = pkg.ComputeID()
	return pkg, nil
}

func parseYAML(src []byte) (y ynode, err error) {
	if len(src) > MaxPackageSize {
		return ynode{}, &PackageError{Pos: Position{1, 1}, Msg: fmt.Sprintf("file of %d bytes exceeds %d", len(src), MaxPackageSize)}
	}
	defer func() {
		if r := recover(); r != nil { // the YAML library must not take the node down
			err = &PackageError{Pos: Position{1, 1}, Msg: fmt.Sprintf("YAML parser failed: %v", r)}
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return ynode{}, &PackageError{Pos: yamlErrorPos(err), Msg: err.Error()}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return ynode{}, &PackageError{Pos: Position{1, 1}, Msg: "empty document"}
	}
	return ynode{n: doc.Content[0]}, nil
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

// yamlErrorPos extracts the line from a YAML syntax error (the library reports no column).
func yamlErrorPos(err error) Position {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return Position{1, 1}
	}
	var line int
	fmt.Sscan(m[1], &line)
	return Position{Line: line, Column: 1}
}

func parsePackageNode(y ynode) (*Package, error) {
	m, err := y.mapping()
	if err != nil {
		return nil, err
	}
	if err := m.only("package", "version", "templates"); err != nil {
		return nil, err
	}
	pkg := &Package{}
	if pkg.Name, err = requiredName(m, "package", packageNameRE); err != nil {
		return nil, err
	}
	if pkg.Version, err = requiredName(m, "version", versionRE); err != nil {
		return nil, err
	}
	tn, err := m.require("templates")
	if err != nil {
		return nil, err
	}
	if pkg.Templates, err = parseTemplates(tn); err != nil {
		return nil, err
	}
	return pkg, nil
}

var (
	packageNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,63}$`)
	versionRE     = regexp.MustCompile(`^[0-9]+(\.[0-9]+){0,3}$`)
	identRE       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
)

func requiredName(m *ymap, key string, re *regexp.Regexp) (string, error) {
	v, err := m.require(key)
	if err != nil {
		return "", err
	}
	s, err := v.scalar()
	if err != nil {
		return "", err
	}
	if !re.MatchString(s) {
		return "", v.errf("%s %q does not match %s", key, s, re)
	}
	return s, nil
}

// reservedNames cannot name fields, parameters, bindings, templates or choices: CEL
// keywords and type names, and the names the interpreter declares itself.
var reservedNames = []string{
	"as", "break", "const", "continue", "else", "false", "for", "function", "if", "import",
	"in", "let", "loop", "package", "namespace", "null", "return", "true", "var", "void",
	"while", "bool", "bytes", "double", "duration", "dyn", "int", "list", "map",
	"null_type", "string", "timestamp", "type", "uint", "optional", "optional_type",
	"decimal", "self", "now", "Archive",
}

// checkIdent validates a declared name; what says what it names.
func checkIdent(y ynode, what, name string) error {
	if !identRE.MatchString(name) {
		return y.errf("%s name %q: want a letter or _ then letters, digits or _ (at most 64)", what, name)
	}
	if slices.Contains(reservedNames, name) {
		return y.errf("%s name %q is reserved", what, name)
	}
	return nil
}

// parseFields reads a mapping of name: type.
func parseFields(y ynode, what string) ([]Field, error) {
	m, err := y.mapping()
	if err != nil {
		return nil, err
	}
	fields := make([]Field, 0, len(m.keys))
	for _, name := range m.sortedKeys() {
		v := m.vals[name]
		if err := checkIdent(v, what, name); err != nil {
			return nil, err
		}
		s, err := v.scalar()
		if err != nil {
			return nil, err
		}
		t, err := ParseType(s)
		if err != nil {
			return nil, v.errf("%v", err)
		}
		fields = append(fields, Field{Name: name, Type: t, Pos: v.pos()})
	}
	return fields, nil
}
