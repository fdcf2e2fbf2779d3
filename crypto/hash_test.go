package crypto_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/cometsync/cometsync/crypto"
)

func TestHashBytesKnownAnswer(t *testing.T) {
	// python3 -c 'import hashlib,struct; print(hashlib.sha256(struct.pack(">I",35)+struct.pack(">I",3)+b"abc").hexdigest())'
	const want = "cc529b4f73c18333c6eeb8d4d0fc41ca882d2e50516f7b804873e3c3caf3458d"
	if got := hex.EncodeToString(crypto.HashBytes(crypto.PurposeSubmissionRequest, []byte("abc"))); got != want {
		t.Fatalf("HashBytes(35, abc) = %s, want %s", got, want)
	}
}

// TestHasherEncoding checks the exact byte layout the Hasher feeds to SHA-256.
func TestHasherEncoding(t *testing.T) {
	got := crypto.NewHasher(crypto.PurposeAppHash).
		AddUint32(0x01020304).AddUint64(0x05060708090a0b0c).AddInt64(-1).
		AddFixed([]byte{0xaa, 0xbb}).AddBytes([]byte("xy")).AddString("").Sum()
	raw := []byte{
		0, 0, 0, 102, // purpose
		1, 2, 3, 4,
		5, 6, 7, 8, 9, 10, 11, 12,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xaa, 0xbb,
		0, 0, 0, 2, 'x', 'y',
		0, 0, 0, 0,
	}
	want := sha256.Sum256(raw)
	if !bytes.Equal(got, want[:]) {
		t.Fatalf("hash = %x, want %x", got, want)
	}
	if len(got) != crypto.HashSize {
		t.Fatalf("hash has %d bytes, want %d", len(got), crypto.HashSize)
	}
}

// TestHasherStrings checks that strings of every length around the Hasher's scratch
// buffer (64 bytes) hash as their bytes do.
func TestHasherStrings(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 65, 127, 128, 129, 1000} {
		s := string(bytes.Repeat([]byte("abcdefg"), n)[:n])
		got := crypto.NewHasher(crypto.PurposeAppHash).AddString(s).AddUint32(7).Sum()
		want := crypto.NewHasher(crypto.PurposeAppHash).AddBytes([]byte(s)).AddUint32(7).Sum()
		if !bytes.Equal(got, want) {
			t.Fatalf("string of %d bytes: %x, want %x", n, got, want)
		}
	}
}

// TestHasherReset checks that a reset Hasher hashes as a new one does.
func TestHasherReset(t *testing.T) {
	h := crypto.NewHasher(crypto.PurposeAppHash).AddString("something before")
	h.Sum()
	got := h.Reset(crypto.PurposeSubmissionRequest).AddBytes([]byte("abc")).Sum()
	if want := crypto.HashBytes(crypto.PurposeSubmissionRequest, []byte("abc")); !bytes.Equal(got, want) {
		t.Fatalf("after Reset: %x, want %x", got, want)
	}
}

// TestHasherNoCollisions lists field sequences whose plain concatenations agree; the
// length prefixes (and the purpose) must keep their hashes apart.
func TestHasherNoCollisions(t *testing.T) {
	h := func(p crypto.Purpose, fields ...string) []byte {
		x := crypto.NewHasher(p)
		for _, f := range fields {
			x.AddString(f)
		}
		return x.Sum()
	}
	p := crypto.PurposeSequencedEvent
	tests := []struct {
		name string
		a, b []byte
	}{
		{"shifted boundary", h(p, "ab", "c"), h(p, "a", "bc")},
		{"split vs joined", h(p, "abc"), h(p, "a", "b", "c")},
		{"empty field vs none", h(p, ""), h(p)},
		{"empty field first vs last", h(p, "", "a"), h(p, "a", "")},
		{"two empty vs one", h(p, "", ""), h(p, "")},
		{"field containing a length", h(p, "\x00\x00\x00\x01a"), h(p, "a")},
		{"length-like prefix", h(p, "a", "b"), h(p, "a\x00\x00\x00\x01b")},
		{"purpose", h(crypto.PurposeSubmissionRequest, "x"), h(crypto.PurposeAcknowledgement, "x")},
		{"bytes vs uint32 of same bytes", crypto.NewHasher(p).AddBytes([]byte{0, 0, 0, 7}).Sum(), crypto.NewHasher(p).AddUint32(7).Sum()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if bytes.Equal(tc.a, tc.b) {
				t.Fatalf("collision: %x", tc.a)
			}
		})
	}
	// Hashing is a function of the fields, not of how they are passed.
	if !bytes.Equal(crypto.NewHasher(p).AddBytes(nil).Sum(), crypto.NewHasher(p).AddString("").Sum()) {
		t.Fatal("AddBytes(nil) and AddString(\"\") differ")
	}
	if !bytes.Equal(crypto.HashBytes(p, []byte("q")), h(p, "q")) {
		t.Fatal("HashBytes differs from NewHasher().AddBytes()")
	}
	// AddFixed is documented as unprefixed: only the length-prefixed form separates fields.
	fixedA := crypto.NewHasher(p).AddFixed([]byte("ab")).AddFixed([]byte("c")).Sum()
	fixedB := crypto.NewHasher(p).AddFixed([]byte("abc")).Sum()
	if !bytes.Equal(fixedA, fixedB) {
		t.Fatal("AddFixed is expected to concatenate without a prefix")
	}
}

// TestPurposesDistinct guards the rule that purposes are never reused.
func TestPurposesDistinct(t *testing.T) {
	all := map[string]crypto.Purpose{
		"MerkleInnerNode": crypto.PurposeMerkleInnerNode, "TopologySignature": crypto.PurposeTopologySignature,
		"PublicKeyFingerprint": crypto.PurposePublicKeyFingerprint, "AuthenticationToken": crypto.PurposeAuthenticationToken,
		"SubmissionRequest": crypto.PurposeSubmissionRequest, "Acknowledgement": crypto.PurposeAcknowledgement,
		"DecentralizedNamespace": crypto.PurposeDecentralizedNamespace, "SequencedEvent": crypto.PurposeSequencedEvent,
		"BlockEventsRoot": crypto.PurposeBlockEventsRoot, "AppHash": crypto.PurposeAppHash,
		"MembershipRoot": crypto.PurposeMembershipRoot, "MerkleLeaf": crypto.PurposeMerkleLeaf,
	}
	seen := make(map[crypto.Purpose]string)
	for name, p := range all {
		if prev, ok := seen[p]; ok {
			t.Errorf("purpose %d used by %s and %s", p, prev, name)
		}
		seen[p] = name
	}
	// Canton's numbering (DESIGN.md §4).
	canton := map[crypto.Purpose]crypto.Purpose{
		crypto.PurposePublicKeyFingerprint: 12, crypto.PurposeTopologySignature: 11,
		crypto.PurposeAuthenticationToken: 14, crypto.PurposeSubmissionRequest: 35,
		crypto.PurposeAcknowledgement: 36, crypto.PurposeDecentralizedNamespace: 37,
		crypto.PurposeMerkleInnerNode: 3,
	}
	for got, want := range canton {
		if got != want {
			t.Errorf("purpose %d, want Canton's %d", got, want)
		}
	}
}
