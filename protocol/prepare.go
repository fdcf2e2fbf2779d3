package protocol

import (
	"fmt"

	"github.com/cometsync/cometsync/ledger"
)

// Prepared is a transaction decomposed into views and salted: the submitting participant's
// confirmation request before encryption. It is immutable.
type Prepared struct {
	metadata  Metadata
	common    CommonMetadata
	submitter SubmitterMetadata
	roots     []*viewTree
	rootHash  Hash
}

// Prepare decomposes tx into views and builds its salted Merkle tree. contracts must know
// the transaction's input contracts (the submitter's active contracts it was interpreted
// against, with the command's disclosed contracts: ledger.WithDisclosures, whose seeds
// the views carry as the disclosed inputs' proofs); meta.Submitters must be the command's actAs parties; seed must be fresh
// randomness, used for nothing else. Prepare is a pure function of its arguments: the same
// inputs give byte-identical trees. The views share tx's nodes: do not modify tx
// afterwards.
func Prepare(tx *ledger.Transaction, contracts ledger.ContractLookup, meta Metadata, seed Seed) (*Prepared, error) {
	if err := meta.Validate(); err != nil {
		return nil, err
	}
	if tx == nil || len(tx.Roots) == 0 {
		return nil, fmt.Errorf("%w: no root action", ErrInvalidTransaction)
	}
	p := &Prepared{metadata: meta}
	p.common, p.submitter = splitMetadata(meta, seed)
	lookup := overlay{first: createdIn(tx), then: contracts}
	roots := make([]Hash, 0, len(tx.Roots))
	for i, r := range tx.Roots {
		vt, err := buildView(ViewPath{i}, r, rootViewSeed(seed, i), meta.Submitters, lookup, meta.LedgerTime)
		if err != nil {
			return nil, err
		}
		p.roots = append(p.roots, vt)
		roots = append(roots, vt.view.Hash())
	}
	p.rootHash = rootHash(p.common.Hash(), p.submitter.Hash(), roots)
	return p, nil
}

// RootHash returns the root hash of the transaction tree.
func (p *Prepared) RootHash() Hash { return p.rootHash }

// Metadata returns the metadata the tree was prepared with.
func (p *Prepared) Metadata() Metadata { return p.metadata }

// Views returns every view in pre-order (a view before its sub-views).
func (p *Prepared) Views() []*View {
	var out []*View
	var visit func(vt *viewTree)
	visit = func(vt *viewTree) {
		out = append(out, vt.view)
		for _, s := range vt.subs {
			visit(s)
		}
	}
	for _, r := range p.roots {
		visit(r)
	}
	return out
}

// View returns the view at path, or nil.
func (p *Prepared) View(path ViewPath) *View {
	if vt := p.find(path); vt != nil {
		return vt.view
	}
	return nil
}

func (p *Prepared) find(path ViewPath) *viewTree {
	if len(path) == 0 || path[0] < 0 || path[0] >= len(p.roots) {
		return nil
	}
	vt := p.roots[path[0]]
	for _, i := range path[1:] {
		if i < 0 || i >= len(vt.subs) {
			return nil
		}
		vt = vt.subs[i]
	}
	return vt
}

// createdIn returns every contract tx creates, by id.
func createdIn(tx *ledger.Transaction) ledger.ContractMap {
	m := ledger.ContractMap{}
	for _, r := range tx.Roots {
		m.Add(createdBy(r)...)
	}
	return m
}

// overlay looks contracts up in first, then in then.
type overlay struct {
	first ledger.ContractMap
	then  ledger.ContractLookup
}

// LookupContract implements ledger.ContractLookup.
func (o overlay) LookupContract(id ledger.ContractID) (*ledger.Contract, error) {
	if c, ok := o.first[id]; ok {
		return c, nil
	}
	return o.then.LookupContract(id)
}

// CreationSeed implements ledger.SeedLookup: the seeds then knows (the disclosed
// contracts), for contracts the transaction does not create.
func (o overlay) CreationSeed(id ledger.ContractID) (ledger.Seed, bool) {
	sl, ok := o.then.(ledger.SeedLookup)
	if _, created := o.first[id]; created || !ok {
		return ledger.Seed{}, false
	}
	return sl.CreationSeed(id)
}
