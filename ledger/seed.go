package ledger

import (
	"encoding/hex"

	"github.com/cometsync/cometsync/crypto"
)

// Seed is 32 bytes of entropy. The submitter picks a fresh random submission seed per
// command; every node of the transaction gets a seed derived from it by position, and the
// contract ids of created contracts derive from their node's seed. A node's seed reveals
// the seeds of its subtree but nothing about its parent or siblings, so a view can carry
// its own seed.
type Seed [32]byte

// String returns the seed in hex.
func (s Seed) String() string { return hex.EncodeToString(s[:]) }

// DeriveSeed returns the seed of child index of the node (or submission) with seed parent.
func DeriveSeed(parent Seed, index int) Seed {
	var out Seed
	copy(out[:], crypto.NewHasher(PurposeNodeSeed).AddFixed(parent[:]).AddUint32(uint32(index)).Sum())
	return out
}

// DeriveContractID returns the id of contract c (whose ID is ignored) created by the node
// with the given seed: "00" + hex(SHA-256(111 || seed || canonical instance)).
func DeriveContractID(seed Seed, c *Contract) ContractID {
	inst := *c
	inst.ID = ""
	h := crypto.NewHasher(PurposeContractID).AddFixed(seed[:]).AddBytes(EncodeContract(&inst))
	return ContractID(contractIDPrefix + hex.EncodeToString(h.Sum()))
}
