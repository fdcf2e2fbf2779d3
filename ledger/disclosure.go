package ledger

import (
	"errors"
	"fmt"
)

// ErrContractIDMismatch: a contract's id is not the id its creating seed and its content
// derive (DeriveContractID): the content or the seed was tampered with.
var ErrContractIDMismatch = errors.New("contract id does not match its content")

// blobVersion is the first byte of a created-event blob.
const blobVersion = 1

// DisclosedContract is a contract with its authenticity proof, the seed of the node that
// created it: DeriveContractID(Seed, Contract) == Contract.ID. A stakeholder's participant
// hands it out (the created-event blob of its active contract set) so that a party that
// is not a stakeholder can use the contract in a command.
type DisclosedContract struct {
	Contract *Contract
	Seed     Seed
}

// Verify returns nil when the contract's id is well formed and derives from the seed and
// the content, else an error wrapping ErrContractIDMismatch (or ErrTypeMismatch for a
// malformed id) that names the contract.
func (d DisclosedContract) Verify() error {
	if d.Contract == nil {
		return fmt.Errorf("%w: no contract", ErrMalformedEncoding)
	}
	if err := ValidateContractID(d.Contract.ID); err != nil {
		return err
	}
	if got := DeriveContractID(d.Seed, d.Contract); got != d.Contract.ID {
		return fmt.Errorf("%w: contract %s: its seed and content derive %s", ErrContractIDMismatch, d.Contract.ID, got)
	}
	return nil
}

// EncodeCreatedEventBlob returns the created-event blob of contract c created by the node
// with the given seed: a version byte (1), the 32-byte seed and EncodeContract(c). The
// encoding is canonical: one blob per (contract, seed).
func EncodeCreatedEventBlob(c *Contract, seed Seed) []byte {
	out := make([]byte, 0, 64)
	out = append(out, blobVersion)
	out = append(out, seed[:]...)
	return append(out, EncodeContract(c)...)
}

// DecodeCreatedEventBlob decodes a created-event blob and verifies it: the contract's id
// must derive from the seed and the content. Malformed input is an error wrapping
// ErrMalformedEncoding, a tampered one wraps ErrContractIDMismatch. It never panics.
func DecodeCreatedEventBlob(b []byte) (DisclosedContract, error) {
	if len(b) < 1+len(Seed{}) {
		return DisclosedContract{}, fmt.Errorf("%w: created-event blob of %d bytes", ErrMalformedEncoding, len(b))
	}
	if b[0] != blobVersion {
		return DisclosedContract{}, fmt.Errorf("%w: created-event blob version %d, want %d", ErrMalformedEncoding, b[0], blobVersion)
	}
	var d DisclosedContract
	copy(d.Seed[:], b[1:])
	c, err := DecodeContract(b[1+len(d.Seed):])
	if err != nil {
		return DisclosedContract{}, fmt.Errorf("created-event blob: %w", err)
	}
	d.Contract = c
	if err := d.Verify(); err != nil {
		return DisclosedContract{}, err
	}
	return d, nil
}

// Disclosures are the disclosed contracts attached to a command, by contract id. As a
// ContractLookup it knows only them; WithDisclosures layers them under an active
// contract set.
type Disclosures map[ContractID]DisclosedContract

// NewDisclosures verifies each disclosed contract and indexes it by id. Two different
// contracts with one id cannot both verify; the same one twice is kept once.
func NewDisclosures(ds ...DisclosedContract) (Disclosures, error) {
	out := make(Disclosures, len(ds))
	for _, d := range ds {
		if err := d.Verify(); err != nil {
			return nil, fmt.Errorf("disclosed contract: %w", err)
		}
		out[d.Contract.ID] = d
	}
	return out, nil
}

// LookupContract implements ContractLookup.
func (ds Disclosures) LookupContract(id ContractID) (*Contract, error) {
	if d, ok := ds[id]; ok {
		return d.Contract, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrContractNotFound, id)
}

// CreationSeed returns the creating seed of a disclosed contract.
func (ds Disclosures) CreationSeed(id ContractID) (Seed, bool) {
	d, ok := ds[id]
	return d.Seed, ok
}

// SeedLookup is implemented by contract lookups that also know the creating seed of
// (some of) their contracts: the authenticity proof a view carries for a disclosed input.
type SeedLookup interface {
	CreationSeed(id ContractID) (Seed, bool)
}

// WithDisclosures returns a ContractLookup that answers from base first and falls back
// to the disclosed contracts (base's own copy wins: a participant trusts its active
// contract set over a disclosure). Its CreationSeed answers for the disclosed contracts:
// the inputs whose proof a view carries.
func WithDisclosures(base ContractLookup, ds Disclosures) ContractLookup {
	return disclosedLookup{base: base, ds: ds}
}

type disclosedLookup struct {
	base ContractLookup
	ds   Disclosures
}

func (l disclosedLookup) LookupContract(id ContractID) (*Contract, error) {
	c, err := l.base.LookupContract(id)
	if err == nil || !isNotFound(err) {
		return c, err
	}
	return l.ds.LookupContract(id)
}

func (l disclosedLookup) CreationSeed(id ContractID) (Seed, bool) { return l.ds.CreationSeed(id) }
