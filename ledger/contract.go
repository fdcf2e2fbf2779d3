package ledger

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// ContractID identifies a contract: "00" followed by the hex SHA-256 of the creating
// node's seed and the contract instance (see DeriveContractID).
type ContractID string

// contractIDPrefix versions the contract id scheme.
const contractIDPrefix = "00"

// ValidateContractID checks the form of id.
func ValidateContractID(id ContractID) error {
	rest, ok := strings.CutPrefix(string(id), contractIDPrefix)
	if !ok || len(rest) != 64 || strings.ToLower(rest) != rest {
		return fmt.Errorf("%w: contract id %q: want 00 followed by 64 lowercase hex digits", ErrTypeMismatch, id)
	}
	if _, err := hex.DecodeString(rest); err != nil {
		return fmt.Errorf("%w: contract id %q: %v", ErrTypeMismatch, id, err)
	}
	return nil
}

// TemplateID names a template: the package id and the template's name.
type TemplateID struct {
	Package PackageID
	Name    string
}

// String returns package:name.
func (t TemplateID) String() string { return string(t.Package) + ":" + t.Name }

// Contract is a contract instance: what a create node creates and what an exercise or fetch
// reads. Signatories and observers are computed at creation and stored with the contract.
type Contract struct {
	ID          ContractID
	Template    TemplateID
	Arguments   Record
	Signatories PartySet
	Observers   PartySet
}

// Stakeholders returns signatories ∪ observers.
func (c *Contract) Stakeholders() PartySet { return c.Signatories.Union(c.Observers) }

// ContractLookup gives the interpreter the contracts a command uses that were not created
// in the same transaction (the submitter's active contracts, or a view's input contracts).
// LookupContract returns an error wrapping ErrContractNotFound if it does not know id; any
// other error aborts interpretation and is returned as is.
type ContractLookup interface {
	LookupContract(id ContractID) (*Contract, error)
}

// ContractMap is an in-memory ContractLookup.
type ContractMap map[ContractID]*Contract

// LookupContract implements ContractLookup.
func (m ContractMap) LookupContract(id ContractID) (*Contract, error) {
	c, ok := m[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrContractNotFound, id)
	}
	return c, nil
}

// Add stores contracts by their ids and returns m.
func (m ContractMap) Add(cs ...*Contract) ContractMap {
	for _, c := range cs {
		m[c.ID] = c
	}
	return m
}
