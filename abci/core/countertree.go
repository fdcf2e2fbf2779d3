package core

import (
	"crypto/sha256"
	"hash"
	"math/bits"
)

// levels caches the hashes of CometBFT's Merkle tree (crypto/merkle, RFC 6962) over a
// leaf sequence: levels[0][i] is leaf i's leaf hash and levels[j][i] the hash of the
// perfect subtree over leaves i·2^j .. (i+1)·2^j-1, for the subtrees entirely inside the
// sequence. Such a subtree's hash does not depend on the sequence's length, so after a
// change only the subtrees over changed leaves are rehashed, and the root combines
// O(log n) cached hashes. Levels are never modified once built: updateLevels makes new
// ones sharing the unchanged hashes.
type levels [][][]byte

// updateLevels returns the levels of leaves given prev, the levels of a sequence that
// equals leaves before position from (leaves from on are new or moved) except at the
// positions dirty (sorted); nil prev builds all.
func updateLevels(prev levels, leaves [][]byte, dirty []int, from int) levels {
	h := sha256.New()
	n := len(leaves)
	if prev == nil {
		from = 0
	}
	lvl := make([][]byte, n)
	if len(prev) > 0 {
		copy(lvl, prev[0][:min(len(prev[0]), from, n)])
	}
	for i := from; i < n; i++ {
		lvl[i] = hashLeaf(h, leaves[i])
	}
	for _, d := range dirty {
		if d < from {
			lvl[d] = hashLeaf(h, leaves[d])
		}
	}
	out := levels{lvl}
	for j := 1; len(lvl) >= 2; j++ {
		m, start := len(lvl)/2, from>>j
		next := make([][]byte, m)
		if j < len(prev) {
			copy(next, prev[j][:min(len(prev[j]), start, m)])
		}
		for i := start; i < m; i++ {
			next[i] = hashInner(h, lvl[2*i], lvl[2*i+1])
		}
		last := -1
		for _, d := range dirty {
			if i := d >> j; i < start && i < m && i != last {
				next[i], last = hashInner(h, lvl[2*i], lvl[2*i+1]), i
			}
		}
		out, lvl = append(out, next), next
	}
	return out
}

// root is the Merkle root over the n leaves of l, equal to merkle.HashFromByteSlices.
func (l levels) root(n int) []byte {
	if n == 0 {
		s := sha256.Sum256(nil)
		return s[:]
	}
	return l.subtree(sha256.New(), 0, n)
}

// subtree is the hash of the tree over leaves a .. a+n-1 as CometBFT splits it: the
// largest power of two below n on the left.
func (l levels) subtree(h hash.Hash, a, n int) []byte {
	if n&(n-1) == 0 {
		j := bits.TrailingZeros(uint(n))
		return l[j][a>>j]
	}
	k := 1 << (bits.Len(uint(n)) - 1)
	return hashInner(h, l.subtree(h, a, k), l.subtree(h, a+k, n-k))
}

func hashLeaf(h hash.Hash, leaf []byte) []byte {
	h.Reset()
	h.Write([]byte{0})
	h.Write(leaf)
	return h.Sum(nil)
}

func hashInner(h hash.Hash, left, right []byte) []byte {
	h.Reset()
	h.Write([]byte{1})
	h.Write(left)
	h.Write(right)
	return h.Sum(nil)
}
