package topology

import (
	"encoding/hex"
	"slices"

	"github.com/cometsync/cometsync/crypto"
)

// DecentralizedNamespace computes the namespace of a decentralized namespace from its
// initial owners (seed 004): "1220" + hex(SHA-256(uint32be(37) || for each owner in
// lexicographic order: uint32be(len(owner)) || owner)). Later owner changes do not change
// it. Duplicate owners count once.
func DecentralizedNamespace(owners []crypto.Fingerprint) crypto.Fingerprint {
	sorted := slices.Clone(owners)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	h := crypto.NewHasher(crypto.PurposeDecentralizedNamespace)
	for _, o := range sorted {
		h.AddString(string(o))
	}
	return crypto.Fingerprint(crypto.FingerprintPrefix + hex.EncodeToString(h.Sum()))
}

func fingerprintOf(key []byte) crypto.Fingerprint { return crypto.FingerprintOf(key) }
