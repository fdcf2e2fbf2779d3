package crypto_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/crypto"
)

func seedKey(t *testing.T, b byte) crypto.SigningPrivateKey {
	t.Helper()
	k, err := crypto.SigningKeyFromSeed(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignVerifyPurposeSeparation(t *testing.T) {
	k := seedKey(t, 1)
	pub := k.Public()
	data := []byte("submission request bytes")
	purposes := []crypto.Purpose{
		crypto.PurposeSubmissionRequest, crypto.PurposeAcknowledgement,
		crypto.PurposeAuthenticationToken, crypto.PurposeTopologySignature,
	}
	for _, signed := range purposes {
		sig := k.Sign(signed, data)
		for _, verified := range purposes {
			err := pub.Verify(verified, data, sig)
			if signed == verified && err != nil {
				t.Errorf("signature for purpose %d does not verify: %v", signed, err)
			}
			if signed != verified && !errors.Is(err, crypto.ErrBadSignature) {
				t.Errorf("signature for purpose %d verified for purpose %d: %v", signed, verified, err)
			}
		}
	}
	// The signature is over the purpose-prefixed hash, never over the raw data.
	raw := ed25519.Sign(k.Key, data)
	if err := pub.Verify(crypto.PurposeSubmissionRequest, data, raw); !errors.Is(err, crypto.ErrBadSignature) {
		t.Fatalf("a signature over the raw data verified: %v", err)
	}
	h := crypto.HashBytes(crypto.PurposeSubmissionRequest, data)
	if !bytes.Equal(k.SignHash(h), k.Sign(crypto.PurposeSubmissionRequest, data)) {
		t.Fatal("Sign(p, data) differs from SignHash(HashBytes(p, data))")
	}
	if err := pub.VerifyHash(h, k.Sign(crypto.PurposeSubmissionRequest, data)); err != nil {
		t.Fatalf("VerifyHash: %v", err)
	}
}

func TestVerifyRejects(t *testing.T) {
	k, other := seedKey(t, 1), seedKey(t, 2)
	p := crypto.PurposeSubmissionRequest
	data := []byte("hello")
	sig := k.Sign(p, data)
	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 1; return c }
	tests := []struct {
		name string
		pub  crypto.SigningPublicKey
		data []byte
		sig  []byte
	}{
		{"other key", other.Public(), data, sig},
		{"tampered data", k.Public(), []byte("hellp"), sig},
		{"extended data", k.Public(), []byte("hello!"), sig},
		{"tampered signature first byte", k.Public(), data, flip(sig, 0)},
		{"tampered signature last byte", k.Public(), data, flip(sig, len(sig)-1)},
		{"truncated signature", k.Public(), data, sig[:len(sig)-1]},
		{"extended signature", k.Public(), data, append(bytes.Clone(sig), 0)},
		{"empty signature", k.Public(), data, nil},
		{"zero public key", crypto.SigningPublicKey{}, data, sig},
		{"short public key", crypto.SigningPublicKey{Key: k.Public().Key[:31]}, data, sig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.pub.Verify(p, tc.data, tc.sig); !errors.Is(err, crypto.ErrBadSignature) {
				t.Fatalf("Verify = %v, want ErrBadSignature", err)
			}
		})
	}
}

func TestKeyConstructors(t *testing.T) {
	// A deterministic reader yields a deterministic key equal to the one from its seed.
	seed := bytes.Repeat([]byte{7}, 32)
	g, err := crypto.GenerateSigningKey(bytes.NewReader(seed))
	if err != nil {
		t.Fatal(err)
	}
	s, err := crypto.SigningKeyFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g.Key, s.Key) || !bytes.Equal(g.Seed(), seed) {
		t.Fatal("GenerateSigningKey from a fixed reader differs from SigningKeyFromSeed")
	}
	if _, err := crypto.GenerateSigningKey(bytes.NewReader(seed[:10])); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("GenerateSigningKey from a short reader: %v, want ErrUnexpectedEOF", err)
	}
	r1, err1 := crypto.GenerateSigningKey(nil)
	r2, err2 := crypto.GenerateSigningKey(nil)
	if err1 != nil || err2 != nil || r1.Fingerprint() == r2.Fingerprint() {
		t.Fatalf("GenerateSigningKey(nil) twice: %v %v, same key %v", err1, err2, r1.Fingerprint() == r2.Fingerprint())
	}
	for _, n := range []int{0, 31, 33, 64} {
		if _, err := crypto.SigningKeyFromSeed(make([]byte, n)); err == nil || !strings.Contains(err.Error(), "want 32") {
			t.Errorf("SigningKeyFromSeed(%d bytes) = %v, want a size error", n, err)
		}
		if n == 32 {
			continue
		}
		if _, err := crypto.SigningPublicKeyFromBytes(make([]byte, n)); err == nil || !strings.Contains(err.Error(), "want 32") {
			t.Errorf("SigningPublicKeyFromBytes(%d bytes) = %v, want a size error", n, err)
		}
	}
	raw := bytes.Clone(s.Public().Key)
	pub, err := crypto.SigningPublicKeyFromBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	raw[0] ^= 0xff // the key must not alias the caller's buffer
	if err := pub.Verify(crypto.PurposeAcknowledgement, []byte("x"), s.Sign(crypto.PurposeAcknowledgement, []byte("x"))); err != nil {
		t.Fatalf("key from bytes does not verify after the caller reused its buffer: %v", err)
	}
}
