package protocol

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// Seed is 32 bytes of secret entropy. The submitting participant draws one fresh random
// submission seed per confirmation request (independent of the seed it gives
// ledger.Interpret); every salt of the Merkle tree derives from it with HKDF-SHA256 and
// the position of the salted node, so preparation is a pure function of the transaction,
// the metadata and the seed.
//
// A view's participant data salt is also that view's seed: its common data salt and the
// seeds of its sub-views derive from it. Whoever may see a view can therefore recompute
// its sub-views' hashes, while HKDF's one-wayness hides the seeds of its parent and
// siblings.
type Seed [32]byte

// String returns the seed in hex.
func (s Seed) String() string { return hex.EncodeToString(s[:]) }

// HKDF info labels; an index is appended as 4 big-endian bytes.
const (
	labelCommonMetadata    = "cometsync/protocol/v1/common-metadata"
	labelSubmitterMetadata = "cometsync/protocol/v1/submitter-metadata"
	labelRootView          = "cometsync/protocol/v1/root-view"
	labelSubView           = "cometsync/protocol/v1/sub-view"
	labelCommonData        = "cometsync/protocol/v1/common-data"
)

// derive returns the HKDF-SHA256 output keyed by secret for label and index.
func derive(secret Seed, label string, index int) Seed {
	info := binary.BigEndian.AppendUint32([]byte(label), uint32(index))
	key, err := hkdf.Key(sha256.New, secret[:], nil, string(info), len(Seed{}))
	if err != nil {
		// HKDF-SHA256 fails only for outputs longer than 255*32 bytes.
		panic("protocol: hkdf: " + err.Error())
	}
	var out Seed
	copy(out[:], key)
	return out
}

// rootViewSeed returns the seed of root view i of a request with submission seed s.
func rootViewSeed(s Seed, i int) Seed { return derive(s, labelRootView, i) }

// subViewSeed returns the seed of sub-view i of the view with seed s.
func subViewSeed(s Seed, i int) Seed { return derive(s, labelSubView, i) }

// commonDataSalt returns the common data salt of the view with seed s.
func commonDataSalt(s Seed) Seed { return derive(s, labelCommonData, 0) }
