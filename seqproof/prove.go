package seqproof

import (
	"github.com/cometbft/cometbft/crypto/merkle"
)

// Tree is a Merkle tree over leaves with every leaf's proof, computed once.
type Tree struct {
	Root   []byte
	leaves [][]byte
	proofs []*merkle.Proof
}

// NewTree computes the tree over leaves (which it keeps; callers must not modify them).
func NewTree(leaves [][]byte) *Tree {
	root, proofs := merkle.ProofsFromByteSlices(leaves)
	return &Tree{Root: root, leaves: leaves, proofs: proofs}
}

// Len is the number of leaves.
func (t *Tree) Len() int { return len(t.leaves) }

// Leaf returns leaf i.
func (t *Tree) Leaf(i int) []byte { return t.leaves[i] }

// Aunts returns the aunts of leaf i, from the leaf up.
func (t *Tree) Aunts(i int) [][]byte { return t.proofs[i].Aunts }

// Prove returns the leaf index, total and aunts of leaf i, as EventProof and
// GetStreamHeadResponse carry them.
func (t *Tree) Prove(i int) (index, total uint32, aunts [][]byte) {
	return uint32(i), uint32(len(t.leaves)), t.proofs[i].Aunts
}
