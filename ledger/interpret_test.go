package ledger

import (
	"errors"
	"strings"
	"testing"
	"time"
)

type boxFixture struct {
	pkgs  *PackageSet
	pkg   *Package
	acs   ContractMap
	box   ContractID // alice's box, n=1, watched by bob, note "hi"
	bobs  ContractID // bob's box, n=7, no watchers
	other ContractID // an Other of alice
}

func (f *boxFixture) tid(name string) TemplateID { return TemplateID{Package: f.pkg.ID, Name: name} }

func loadBox(t testing.TB) *Package {
	t.Helper()
	pkg, err := ParsePackage(mustRead(t, "testdata/box.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

func newBoxFixture(t testing.TB) *boxFixture {
	f := &boxFixture{pkg: loadBox(t), acs: ContractMap{}}
	f.pkgs = mustSet(t, f.pkg)
	f.box = f.create(t, alice, f.boxArgs(alice, 1, bob))
	f.acs[f.box].Arguments["note"] = OptionalValue{V: TextValue("hi")}
	f.bobs = f.create(t, bob, f.boxArgs(bob, 7))
	tx, err := Interpret(f.pkgs, CreateCommand([]Party{alice}, f.tid("Other"), Record{"owner": PartyValue(alice)}), f.acs, testTime, seedOf(9))
	if err != nil {
		t.Fatal(err)
	}
	f.other = tx.Roots[0].ContractID
	f.acs.Add(tx.Roots[0].Contract())
	return f
}

func (f *boxFixture) boxArgs(owner Party, n int64, watchers ...Party) Record {
	return Record{"owner": PartyValue(owner), "watchers": parties(watchers...), "n": IntValue(n),
		"note": OptionalValue{}, "when": TimeFromGo(testTime)}
}

func (f *boxFixture) create(t testing.TB, owner Party, args Record) ContractID {
	tx, err := Interpret(f.pkgs, CreateCommand([]Party{owner}, f.tid("Box"), args), f.acs, testTime, seedOf(byte(len(f.acs))))
	if err != nil {
		t.Fatal(err)
	}
	f.acs.Add(tx.Roots[0].Contract())
	return tx.Roots[0].ContractID
}

func (f *boxFixture) exercise(actAs Party, cid ContractID, choice string, args Record) (*Transaction, error) {
	return Interpret(f.pkgs, ExerciseCommand([]Party{actAs}, f.tid("Box"), cid, choice, args), f.acs, testTime, seedOf(42))
}

func TestActionKinds(t *testing.T) {
	f := newBoxFixture(t)
	tests := []struct {
		name      string
		actAs     Party
		choice    string
		args      Record
		shape     string // kinds in pre-order: C create, E exercise, F fetch
		informees [][]Party
		result    string
	}{
		{"consuming exercise with create", alice, "Bump", Record{}, "EC",
			[][]Party{{alice, bob}, {alice, bob}}, ""},
		{"non-consuming exercise with fetch", bob, "Peek", Record{"actor": PartyValue(bob), "other": ContractIDValue(f.bobs)}, "EF",
			[][]Party{{alice, bob}, {bob}}, "7"},
		{"non-consuming, controller is an observer", bob, "Shared", Record{}, "E",
			[][]Party{{alice, bob}}, `some("hi!")`},
		{"consuming Archive", alice, "Archive", Record{}, "E", [][]Party{{alice, bob}}, "nothing"},
		{"assert true", alice, "Check", Record{"ok": BoolValue(true)}, "E", [][]Party{{alice}}, "nothing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := f.exercise(tc.actAs, f.box, tc.choice, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			var shape string
			var i int
			_ = tx.Walk(func(p NodePath, n *Node) error {
				shape += strings.ToUpper(n.Kind.String()[:1])
				if i < len(tc.informees) {
					if got := n.Informees(); !equalParties(got, tc.informees[i]...) {
						t.Errorf("node %s informees %v, want %v", p, got, NewPartySet(tc.informees[i]...))
					}
				}
				i++
				return nil
			})
			if shape != tc.shape {
				t.Errorf("shape %s, want %s", shape, tc.shape)
			}
			if tc.result != "" && ValueString(tx.Roots[0].Result) != tc.result {
				t.Errorf("result %s, want %s", ValueString(tx.Roots[0].Result), tc.result)
			}
		})
	}
}

func TestCreateNode(t *testing.T) {
	f := newBoxFixture(t)
	args := f.boxArgs(carol, 3, alice, bob, alice)
	tx, err := Interpret(f.pkgs, CreateCommand([]Party{carol}, f.tid("Box"), args), f.acs, testTime, seedOf(1))
	if err != nil {
		t.Fatal(err)
	}
	n := tx.Roots[0]
	if n.Kind != NodeCreate || !equalParties(n.Signatories, carol) || !equalParties(n.Observers, alice, bob) {
		t.Fatalf("create node %+v", n)
	}
	checkInformees(t, n, alice, bob, carol)
	if err := ValidateContractID(n.ContractID); err != nil {
		t.Fatal(err)
	}
	if DeriveContractID(n.Seed, n.Contract()) != n.ContractID {
		t.Fatal("contract id does not derive from the node's seed and instance")
	}
	tx2, _ := Interpret(f.pkgs, CreateCommand([]Party{carol}, f.tid("Box"), args), f.acs, testTime, seedOf(2))
	if tx2.Roots[0].ContractID == n.ContractID {
		t.Fatal("different submission seeds must give different contract ids")
	}
}

func TestInterpretErrors(t *testing.T) {
	f := newBoxFixture(t)
	missing := DeriveContractID(Seed{7}, &Contract{})
	big := ListValue{}
	for i := range 2000 {
		big = append(big, IntValue(i))
	}
	tests := []struct {
		name     string
		cmd      Command
		sentinel error
		check    func(t *testing.T, err error)
	}{
		{"contract not found", ExerciseCommand([]Party{alice}, f.tid("Box"), missing, "Bump", nil), ErrContractNotFound,
			func(t *testing.T, err error) { wantContractErr(t, err, missing, "0") }},
		{"contract archived earlier in the transaction", ExerciseCommand([]Party{alice}, f.tid("Box"), f.box, "ArchiveTwice", nil), ErrContractNotActive,
			func(t *testing.T, err error) {
				ce := wantContractErr(t, err, f.box, "0.0")
				if ce.ArchivedAt.String() != "0" {
					t.Errorf("archived at %s, want 0", ce.ArchivedAt)
				}
			}},
		{"wrong template", ExerciseCommand([]Party{alice}, f.tid("Box"), f.other, "Bump", nil), ErrWrongTemplate, nil},
		{"unknown template", CreateCommand([]Party{alice}, f.tid("Nope"), nil), ErrUnknownTemplate, nil},
		{"unknown package", CreateCommand([]Party{alice}, TemplateID{Package: "1220ff", Name: "Box"}, nil), ErrUnknownPackage, nil},
		{"unknown choice", ExerciseCommand([]Party{alice}, f.tid("Box"), f.box, "Nope", nil), ErrUnknownChoice, nil},
		{"create not authorized", CreateCommand([]Party{bob}, f.tid("Box"), f.boxArgs(alice, 1)), ErrAuthorization,
			func(t *testing.T, err error) { wantAuthErr(t, err, "0", alice) }},
		{"exercise not authorized", ExerciseCommand([]Party{bob}, f.tid("Box"), f.box, "Bump", nil), ErrAuthorization,
			func(t *testing.T, err error) { wantAuthErr(t, err, "0", alice) }},
		{"create in a body not authorized", ExerciseCommand([]Party{alice}, f.tid("Box"), f.box, "Give", Record{"to": PartyValue(carol)}), ErrAuthorization,
			func(t *testing.T, err error) { wantAuthErr(t, err, "0.0", carol) }},
		{"fetch not authorized", ExerciseCommand([]Party{carol}, f.tid("Box"), f.box, "Peek", Record{"actor": PartyValue(carol), "other": ContractIDValue(f.bobs)}), ErrAuthorization,
			func(t *testing.T, err error) { wantAuthErr(t, err, "0.0", bob) }},
		{"no controllers", ExerciseCommand([]Party{alice}, f.tid("Box"), f.box, "NoControllers", nil), ErrEvaluation, nil},
		{"ensure on create command", CreateCommand([]Party{alice}, f.tid("Box"), f.boxArgs(alice, -5)), ErrEnsureFailed, nil},
		{"ensure in a body", ExerciseCommand([]Party{alice}, f.tid("Box"), f.box, "Negative", nil), ErrEnsureFailed,
			func(t *testing.T, err error) { wantEvalErr(t, err, "0.0", "Box.ensure") }},
		{"assertion", ExerciseCommand([]Party{alice}, f.tid("Box"), f.box, "Check", Record{"ok": BoolValue(false)}), ErrAssertionFailed,
			func(t *testing.T, err error) { wantEvalErr(t, err, "0", "Box.Check.body[0]") }},
		{"argument of the wrong type", CreateCommand([]Party{alice}, f.tid("Box"), withArg(f.boxArgs(alice, 1), "n", TextValue("1"))), ErrTypeMismatch,
			func(t *testing.T, err error) { wantTypeErr(t, err, "Box.n", "int", "text") }},
		{"missing argument", CreateCommand([]Party{alice}, f.tid("Box"), withArg(f.boxArgs(alice, 1), "n", nil)), ErrTypeMismatch,
			func(t *testing.T, err error) { wantTypeErr(t, err, "Box.n", "int", "missing field") }},
		{"extra argument", CreateCommand([]Party{alice}, f.tid("Box"), withArg(f.boxArgs(alice, 1), "x", IntValue(1))), ErrTypeMismatch, nil},
		{"list element of the wrong type", CreateCommand([]Party{alice}, f.tid("Box"), withArg(f.boxArgs(alice, 1), "watchers", ListValue{TextValue("x")})), ErrTypeMismatch,
			func(t *testing.T, err error) { wantTypeErr(t, err, "Box.watchers[0]", "party", "text") }},
		{"malformed party", CreateCommand([]Party{alice}, f.tid("Box"), withArg(f.boxArgs(alice, 1), "owner", PartyValue("has space"))), ErrTypeMismatch, nil},
		{"choice result of the wrong type", ExerciseCommand([]Party{alice}, f.tid("Box"), f.box, "BadResult", Record{"other": ContractIDValue(f.box)}), ErrTypeMismatch,
			func(t *testing.T, err error) { wantTypeErr(t, err, "Box.BadResult.result", "int", "string") }},
		{"evaluation error", ExerciseCommand([]Party{alice}, f.tid("Box"), f.box, "Div", Record{"d": IntValue(0)}), ErrEvaluation, nil},
		{"expression cost limit", ExerciseCommand([]Party{alice}, f.tid("Box"), f.box, "Expensive", Record{"xs": big}), ErrCostLimitExceeded, nil},
		{"depth limit", ExerciseCommand([]Party{alice}, f.tid("Box"), f.box, "Loop", nil), ErrCostLimitExceeded, nil},
		{"no actAs", Command{Kind: CommandCreate, Template: f.tid("Box")}, ErrInvalidCommand, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := Interpret(f.pkgs, tc.cmd, f.acs, testTime, seedOf(3))
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("got %v (tx %v), want %v", err, tx, tc.sentinel)
			}
			if tc.check != nil {
				tc.check(t, err)
			}
		})
	}
}

func TestTransactionCostLimit(t *testing.T) {
	f := newBoxFixture(t)
	small := f.pkgs.WithLimits(Limits{TransactionCost: 5, MaxNodes: 100, MaxDepth: 10})
	_, err := Interpret(small, ExerciseCommand([]Party{alice}, f.tid("Box"), f.box, "Bump", nil), f.acs, testTime, seedOf(1))
	if !errors.Is(err, ErrCostLimitExceeded) || !strings.Contains(err.Error(), "transaction cost") {
		t.Fatalf("got %v", err)
	}
	few := f.pkgs.WithLimits(Limits{TransactionCost: 1 << 40, MaxNodes: 1, MaxDepth: 10})
	_, err = Interpret(few, ExerciseCommand([]Party{alice}, f.tid("Box"), f.box, "Bump", nil), f.acs, testTime, seedOf(1))
	if !errors.Is(err, ErrCostLimitExceeded) || !strings.Contains(err.Error(), "more than 1 nodes") {
		t.Fatalf("got %v", err)
	}
}

func TestLedgerTimeIsAnInput(t *testing.T) {
	f := newBoxFixture(t)
	run := func(now time.Time) *Node {
		tx, err := Interpret(f.pkgs, ExerciseCommand([]Party{alice}, f.tid("Box"), f.box, "Bump", nil), f.acs, now, seedOf(1))
		if err != nil {
			t.Fatal(err)
		}
		return tx.Roots[0].Children[0]
	}
	later := testTime.Add(time.Hour)
	if got := run(later).Arguments["when"]; got != TimeFromGo(later) {
		t.Fatalf("now = %s, want the ledger time", ValueString(got))
	}
	if run(testTime).ContractID == run(later).ContractID {
		t.Fatal("different contents must give different contract ids")
	}
}

func withArg(r Record, k string, v Value) Record {
	if v == nil {
		delete(r, k)
	} else {
		r[k] = v
	}
	return r
}

func wantContractErr(t *testing.T, err error, id ContractID, path string) *ContractError {
	t.Helper()
	var ce *ContractError
	if !errors.As(err, &ce) || ce.ContractID != id || ce.Path.String() != path {
		t.Fatalf("want contract error on %s at %s, got %v", id, path, err)
	}
	return ce
}

func wantAuthErr(t *testing.T, err error, path string, missing ...Party) {
	t.Helper()
	var ae *AuthorizationError
	if !errors.As(err, &ae) || ae.Path.String() != path || !equalParties(ae.Missing, missing...) {
		t.Fatalf("want authorization error at %s missing %v, got %v", path, missing, err)
	}
}

func wantEvalErr(t *testing.T, err error, path, expr string) {
	t.Helper()
	var ee *EvalError
	if !errors.As(err, &ee) || ee.Path.String() != path || ee.Expr != expr {
		t.Fatalf("want evaluation error at %s in %s, got %v", path, expr, err)
	}
}

func wantTypeErr(t *testing.T, err error, where, expected, got string) {
	t.Helper()
	var te *TypeError
	if !errors.As(err, &te) || te.Where != where || te.Expected != expected || te.Got != got {
		t.Fatalf("want type error %s: expected %s got %s; got %v", where, expected, got, err)
	}
}

// failingLookup fails every lookup with a storage error.
type failingLookup struct{ err error }

func (l failingLookup) LookupContract(ContractID) (*Contract, error) { return nil, l.err }

func TestLookupFailureIsNotNotFound(t *testing.T) {
	f := newBoxFixture(t)
	ioErr := errors.New("disk on fire")
	_, err := Interpret(f.pkgs, ExerciseCommand([]Party{alice}, f.tid("Box"), f.box, "Bump", nil), failingLookup{ioErr}, testTime, seedOf(1))
	if !errors.Is(err, ioErr) || errors.Is(err, ErrContractNotFound) {
		t.Fatalf("got %v", err)
	}
}
