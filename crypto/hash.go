package crypto

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

// Purpose separates the uses of hashes and signatures. Each use has its own constant and
// constants are never reused. Numbers follow Canton's where Canton has one.
type Purpose uint32

// Hash purposes. New uses take new numbers.
const (
	PurposeMerkleInnerNode        Purpose = 3
	PurposeTopologySignature      Purpose = 11
	PurposePublicKeyFingerprint   Purpose = 12
	PurposeAuthenticationToken    Purpose = 14
	PurposeSubmissionRequest      Purpose = 35
	PurposeAcknowledgement        Purpose = 36
	PurposeDecentralizedNamespace Purpose = 37
	PurposeSequencedEvent         Purpose = 100
	PurposeBlockEventsRoot        Purpose = 101
	PurposeAppHash                Purpose = 102
	PurposeMembershipRoot         Purpose = 103
	PurposeMerkleLeaf             Purpose = 104
)

// HashSize is the size in bytes of every protocol hash (SHA-256).
const HashSize = sha256.Size

// Hasher builds a purpose-prefixed SHA-256 hash. Fixed-size fields are added with
// AddUint32/AddUint64/AddFixed; variable-length fields with AddBytes/AddString, which
// prefix the 4-byte length so that distinct field sequences never collide.
type Hasher struct {
	h   hash.Hash
	buf [64]byte // scratch for integers and strings: hash.Hash's Write takes a slice that would otherwise escape
}

// NewHasher starts a hash for purpose p.
func NewHasher(p Purpose) *Hasher {
	h := &Hasher{h: sha256.New()}
	h.AddUint32(uint32(p))
	return h
}

// Reset starts a new hash for purpose p on h, so that a loop hashing many items reuses
// one Hasher.
func (h *Hasher) Reset(p Purpose) *Hasher {
	h.h.Reset()
	return h.AddUint32(uint32(p))
}

// AddUint32 appends v as 4 big-endian bytes.
func (h *Hasher) AddUint32(v uint32) *Hasher {
	binary.BigEndian.PutUint32(h.buf[:4], v)
	h.h.Write(h.buf[:4])
	return h
}

// AddUint64 appends v as 8 big-endian bytes.
func (h *Hasher) AddUint64(v uint64) *Hasher {
	binary.BigEndian.PutUint64(h.buf[:8], v)
	h.h.Write(h.buf[:8])
	return h
}

// AddInt64 appends v as 8 big-endian bytes (two's complement).
func (h *Hasher) AddInt64(v int64) *Hasher { return h.AddUint64(uint64(v)) }

// AddFixed appends b without a length prefix; use it only for fixed-size fields.
func (h *Hasher) AddFixed(b []byte) *Hasher {
	h.h.Write(b)
	return h
}

// AddBytes appends b prefixed by its 4-byte length.
func (h *Hasher) AddBytes(b []byte) *Hasher {
	h.AddUint32(uint32(len(b)))
	h.h.Write(b)
	return h
}

// AddString appends s prefixed by its 4-byte length (without copying s to the heap).
func (h *Hasher) AddString(s string) *Hasher {
	h.AddUint32(uint32(len(s)))
	for len(s) > 0 {
		n := copy(h.buf[:], s)
		h.h.Write(h.buf[:n])
		s = s[n:]
	}
	return h
}

// Sum returns the hash.
func (h *Hasher) Sum() []byte { return h.h.Sum(nil) }

// HashBytes is shorthand for a purpose-prefixed hash of one variable-length field.
func HashBytes(p Purpose, b []byte) []byte { return NewHasher(p).AddBytes(b).Sum() }
