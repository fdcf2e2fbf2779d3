package ledger

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

const (
	bank     Party = "Bank::1220aa"
	registry Party = "Registry::1220bb"
	alice    Party = "Alice::1220cc"
	bob      Party = "Bob::1220dd"
	carol    Party = "Carol::1220ee"
)

var testTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func loadExample(t testing.TB, name string) *Package {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := ParsePackage(src)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return pkg
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustSet(t testing.TB, pkgs ...*Package) *PackageSet {
	t.Helper()
	s, err := NewPackageSet(pkgs...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func seedOf(b byte) Seed {
	var s Seed
	for i := range s {
		s[i] = b + byte(i)
	}
	return s
}

func dec(s string) DecimalValue { return DecimalValue{MustParseDecimal(s)} }

func parties(ps ...Party) ListValue {
	out := ListValue{}
	for _, p := range ps {
		out = append(out, PartyValue(p))
	}
	return out
}

// ledgerState is a tiny reference ACS: it applies transactions' effects.
type ledgerState struct {
	t         testing.TB
	pkgs      *PackageSet
	acs       ContractMap
	submitted int
}

func newLedger(t testing.TB, pkgs *PackageSet) *ledgerState {
	return &ledgerState{t: t, pkgs: pkgs, acs: ContractMap{}}
}

func (l *ledgerState) submit(cmd Command) (*Transaction, error) {
	l.submitted++
	tx, err := Interpret(l.pkgs, cmd, l.acs, testTime, seedOf(byte(l.submitted)))
	if err != nil {
		return nil, err
	}
	eff := tx.Effects()
	for _, id := range eff.Archived {
		delete(l.acs, id)
	}
	l.acs.Add(eff.Created...)
	return tx, nil
}

func (l *ledgerState) mustSubmit(cmd Command) *Transaction {
	l.t.Helper()
	tx, err := l.submit(cmd)
	if err != nil {
		l.t.Fatalf("submit: %v", err)
	}
	return tx
}
