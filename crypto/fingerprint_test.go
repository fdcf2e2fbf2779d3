package crypto_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"testing"

	"github.com/cometsync/cometsync/crypto"
)

// rfc8032Seed and rfc8032Public are TEST 1 of RFC 8032 section 7.1.
const (
	rfc8032Seed   = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
	rfc8032Public = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFingerprintKnownAnswers checks FingerprintOf against vectors computed outside Go with
//
//	python3 -c 'import hashlib,struct; print("1220"+hashlib.sha256(struct.pack(">I",12)+KEY).hexdigest())'
func TestFingerprintKnownAnswers(t *testing.T) {
	tests := []struct {
		name string
		key  []byte
		want crypto.Fingerprint
	}{
		{"rfc8032 test 1 public key", mustHex(t, rfc8032Public), "1220035a791d845bbb8195615e7eccd7a57c2ec4075c2e88695f194bab4e0194a889"},
		{"bytes 0..31", func() []byte {
			b := make([]byte, 32)
			for i := range b {
				b[i] = byte(i)
			}
			return b
		}(), "122093aa96c5554371f0d1fd471ce282f3b590ab0758f35c124924c8e3715910bbe1"},
		{"empty key", nil, "1220c22ceee66b8ab104483c83053173b33f992dd4fcb457284c60ef9d699a1c7059"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := crypto.FingerprintOf(tc.key); got != tc.want {
				t.Fatalf("FingerprintOf = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestFingerprintStructure recomputes the fingerprint from the spec for a generated key and
// checks that it parses, and that a signing key's fingerprint is that of its public half.
func TestFingerprintStructure(t *testing.T) {
	k, err := crypto.SigningKeyFromSeed(mustHex(t, rfc8032Seed))
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(k.Public().Key); got != rfc8032Public {
		t.Fatalf("public key from RFC 8032 seed = %s, want %s", got, rfc8032Public)
	}
	var buf []byte
	buf = binary.BigEndian.AppendUint32(buf, 12)
	buf = append(buf, k.Public().Key...)
	sum := sha256.Sum256(buf)
	want := crypto.Fingerprint("1220" + hex.EncodeToString(sum[:]))

	fp := k.Fingerprint()
	if fp != want || k.Public().Fingerprint() != want {
		t.Fatalf("fingerprint = %s, want %s", fp, want)
	}
	if len(fp) != 68 || fp[:4] != crypto.FingerprintPrefix {
		t.Fatalf("fingerprint %s: want 1220 followed by 64 hex digits", fp)
	}
	if parsed, err := crypto.ParseFingerprint(string(fp)); err != nil || parsed != fp {
		t.Fatalf("ParseFingerprint(%s) = %s, %v", fp, parsed, err)
	}
	if fp.Short() != string(fp[:12]) {
		t.Fatalf("Short() = %q", fp.Short())
	}
	if crypto.Fingerprint("12").Short() != "12" {
		t.Fatal("Short() of a short string must return it unchanged")
	}
	other, _ := crypto.SigningKeyFromSeed(make([]byte, 32))
	if other.Fingerprint() == fp {
		t.Fatal("two different keys share a fingerprint")
	}
}
