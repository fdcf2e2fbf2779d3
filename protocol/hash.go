package protocol

import (
	"encoding/hex"

	"github.com/cometsync/cometsync/crypto"
)

// Hash is a node hash of the Merkle tree (SHA-256, see crypto.Hasher).
type Hash [crypto.HashSize]byte

// String returns the hash in hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Short returns the first 8 hex digits, for messages.
func (h Hash) Short() string { return h.String()[:8] }

// sum finishes a hasher into a Hash.
func sum(h *crypto.Hasher) Hash {
	var out Hash
	copy(out[:], h.Sum())
	return out
}

// addHashes appends the count and then each hash (fixed size) to h.
func addHashes(h *crypto.Hasher, hs []Hash) *crypto.Hasher {
	h.AddUint32(uint32(len(hs)))
	for _, x := range hs {
		h.AddFixed(x[:])
	}
	return h
}
