package ledger

// PackageID identifies a package: "1220" followed by the hex SHA-256 of the package's
// canonical form (see Package.ComputeID).
type PackageID string

// Position is a line and column (1-based) in a package file.
type Position struct {
	Line   int
	Column int
}

// Package is a parsed package of templates. Templates, fields, choices, parameters and
// arguments are sorted by name; choice bodies keep their order.
type Package struct {
	ID        PackageID // set by ParsePackage from the canonical form
	Name      string
	Version   string
	Templates []*Template
}

// Template declares a contract type.
type Template struct {
	Name        string
	Fields      []Field
	Signatories Expr // list<party>
	Observers   Expr // list<party>; empty source means no observers
	Ensure      Expr // bool; empty source means true
	Choices     []*Choice
	Pos         Position
}

// Field is a named, typed field of a template or a choice parameter.
type Field struct {
	Name string
	Type Type
	Pos  Position
}

// Expr is a CEL expression with its position in the file.
type Expr struct {
	Source string
	Pos    Position
}

// Choice declares an action on a contract.
type Choice struct {
	Name        string
	Controllers Expr // list<party>
	Consuming   bool
	Parameters  []Field
	Returns     *Type // nil when the choice returns nothing
	Body        []*Action
	Result      Expr // of type Returns; empty when Returns is nil
	Pos         Position
}

// ActionKind is the kind of a step of a choice body.
type ActionKind uint8

// Action kinds. Their numbers are part of the canonical form; never renumber.
const (
	ActionCreate   ActionKind = 1
	ActionExercise ActionKind = 2
	ActionFetch    ActionKind = 3
	ActionAssert   ActionKind = 4
)

// Action is a step of a choice body: create a contract, exercise a choice on a contract,
// fetch a contract, or assert a condition. Create, exercise and fetch produce nodes;
// assert produces none. Bind names the step's result for later steps and the result
// expression: the new contract id of a create, the choice result of an exercise, the
// fetched contract's arguments (a map) of a fetch.
type Action struct {
	Kind     ActionKind
	Bind     string
	Template string // create, exercise, fetch: a template of the same package
	Choice   string // exercise
	Contract Expr   // exercise, fetch: contractId
	Args     []Arg  // create, exercise; sorted by name
	Cond     Expr   // assert: bool
	Message  string // assert: reported when Cond is false
	Pos      Position
}

// Arg is an argument expression of a create or exercise.
type Arg struct {
	Name  string
	Value Expr
}

// Template returns the template named name, or nil.
func (p *Package) Template(name string) *Template {
	for _, t := range p.Templates {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Choice returns the choice named name, or nil.
func (t *Template) Choice(name string) *Choice {
	for _, c := range t.Choices {
		if c.Name == name {
			return c
		}
	}
	return nil
}
