package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/cometsync/cometsync/ledger"
)

// CheckConformance checks that v conforms to the packages: its declared inputs and created
// contracts are exactly those of its action; every declared input this participant knows
// (known, typically its active contract set) is the participant's own copy; and
// reinterpreting the action with ledger.Reinterpret, from the view's seeds, authorizers,
// inputs and ledger time, reproduces the action's subtree. Authorization is part of
// reinterpretation. Failures are *ConformanceError wrapping the cause (errors.Is reaches
// ledger.ErrMismatch, ledger.ErrAuthorization, ...). An error from known other than
// ledger.ErrContractNotFound is returned as is: it is no verdict on the view.
func CheckConformance(pkgs *ledger.PackageSet, v *View, known ledger.ContractLookup) error {
	if err := checkDeclaredContracts(v); err != nil {
		return err
	}
	if err := checkKnownInputs(v, known); err != nil {
		return err
	}
	return reinterpret(pkgs, v)
}

// reinterpret checks that reinterpreting the view's action from its seeds, authorizers,
// declared inputs and ledger time reproduces it.
func reinterpret(pkgs *ledger.PackageSet, v *View) error {
	p := &v.Participant
	inputs := ledger.ContractMap{}.Add(p.Inputs...)
	if _, err := ledger.Reinterpret(pkgs, p.Action, p.Authorizers, inputs, p.LedgerTime); err != nil {
		return &ConformanceError{View: v.Path, Field: "action", Err: err}
	}
	return nil
}

// checkDeclaredContracts compares the declared inputs and created contracts with the
// action's.
func checkDeclaredContracts(v *View) error {
	p := &v.Participant
	want := (&ledger.Transaction{Roots: []*ledger.Node{p.Action}}).Effects().Inputs
	got := make([]ledger.ContractID, len(p.Inputs))
	for i, c := range p.Inputs {
		got[i] = c.ID
	}
	if !slices.Equal(got, want) {
		return &ConformanceError{View: v.Path, Field: "inputs", Err: fmt.Errorf("declared %v, the action uses %v", got, want)}
	}
	if err := checkInputSeeds(v); err != nil {
		return err
	}
	created := createdBy(p.Action)
	if !sameContracts(p.Created, created) {
		return &ConformanceError{View: v.Path, Field: "created", Err: fmt.Errorf("declared %d contracts, the action creates %d others", len(p.Created), len(created))}
	}
	return nil
}

// checkInputSeeds checks the disclosed inputs' authenticity: each one's id must derive
// from its creating seed and its content, as every input's does. The failure is a
// *ConformanceError on field "input seeds" wrapping ledger.ErrContractIDMismatch.
func checkInputSeeds(v *View) error {
	for _, c := range v.Participant.Inputs {
		seed, ok := v.Participant.InputSeeds[c.ID]
		if !ok {
			continue
		}
		if err := (ledger.DisclosedContract{Contract: c, Seed: seed}).Verify(); err != nil {
			return &ConformanceError{View: v.Path, Field: "input seeds", Err: fmt.Errorf("disclosed %w", err)}
		}
	}
	return nil
}

// checkKnownInputs compares declared inputs with the participant's copies.
func checkKnownInputs(v *View, known ledger.ContractLookup) error {
	for _, c := range v.Participant.Inputs {
		mine, err := known.LookupContract(c.ID)
		if errors.Is(err, ledger.ErrContractNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("view %s: looking up input %s: %w", v.Path, c.ID, err)
		}
		if !bytes.Equal(ledger.EncodeContract(mine), ledger.EncodeContract(c)) {
			return &ConformanceError{View: v.Path, Field: "inputs", Err: fmt.Errorf("contract %s differs from this participant's copy", c.ID)}
		}
	}
	return nil
}

func sameContracts(a, b []*ledger.Contract) bool {
	return slices.EqualFunc(a, b, func(x, y *ledger.Contract) bool {
		return bytes.Equal(ledger.EncodeContract(x), ledger.EncodeContract(y))
	})
}
