package crypto

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
)

// TestSealDeterministic: for both schemes and several plaintext sizes, the deterministic
// ciphertext opens with Open (the stdlib HPKE recipient), is a function of its inputs, and
// changes with the randomness.
func TestSealDeterministic(t *testing.T) {
	for _, s := range []EncryptionScheme{SchemeMLKEM768X25519, SchemeX25519} {
		k, err := GenerateEncryptionKey(s)
		if err != nil {
			t.Fatal(err)
		}
		other, _ := GenerateEncryptionKey(s)
		rnd := bytes.Repeat([]byte{7}, MinSealRandomness)
		info := []byte("seed for view 0.1")
		for _, size := range []int{0, 1, 32, 1000, 64 << 10} {
			t.Run(fmt.Sprintf("%s/%d", s, size), func(t *testing.T) {
				pt := bytes.Repeat([]byte{byte(size)}, size)
				ct, err := SealDeterministic(k.Public(), info, pt, rnd)
				if err != nil {
					t.Fatal(err)
				}
				if got, err := Open(k, info, ct); err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("open: %v", err)
				}
				again, _ := SealDeterministic(k.Public(), info, pt, bytes.Clone(rnd))
				if !bytes.Equal(ct, again) {
					t.Fatal("same inputs, different ciphertexts")
				}
				rnd2 := bytes.Clone(rnd)
				rnd2[0] ^= 1
				if c2, _ := SealDeterministic(k.Public(), info, pt, rnd2); bytes.Equal(c2, ct) {
					t.Fatal("other randomness, same ciphertext")
				}
				if _, err := Open(k, []byte("seed for view 0.2"), ct); !errors.Is(err, ErrDecryption) {
					t.Fatalf("open with another info: %v", err)
				}
				if _, err := Open(other, info, ct); !errors.Is(err, ErrDecryption) {
					t.Fatalf("open with another key: %v", err)
				}
			})
		}
	}
}

// TestSealDeterministicRandomness: all of the randomness counts, short randomness and bad
// keys are errors.
func TestSealDeterministicRandomness(t *testing.T) {
	for _, s := range []EncryptionScheme{SchemeMLKEM768X25519, SchemeX25519} {
		k, _ := GenerateEncryptionKey(s)
		pub := k.Public()
		if _, err := SealDeterministic(pub, nil, []byte("x"), make([]byte, MinSealRandomness-1)); err == nil {
			t.Errorf("%s: short randomness accepted", s)
		}
		long := make([]byte, 64)
		a, err := SealDeterministic(pub, nil, []byte("x"), long)
		if err != nil {
			t.Fatal(err)
		}
		long[63] = 1
		if b, _ := SealDeterministic(pub, nil, []byte("x"), long); bytes.Equal(a, b) {
			t.Errorf("%s: a randomness byte past the 32nd is ignored", s)
		}
		if pt, err := Open(k, nil, a); err != nil || string(pt) != "x" {
			t.Errorf("%s: open: %v", s, err)
		}
		bad := EncryptionPublicKey{Scheme: s, Key: pub.Key[:len(pub.Key)-1]}
		if _, err := SealDeterministic(bad, nil, []byte("x"), long); err == nil {
			t.Errorf("%s: truncated public key accepted", s)
		}
	}
	if _, err := SealDeterministic(EncryptionPublicKey{Scheme: "rot13"}, nil, nil, make([]byte, 32)); !errors.Is(err, ErrUnknownScheme) {
		t.Errorf("unknown scheme: %v", err)
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEncapVectorX25519: with ikmE of RFC 9180 A.2.1 (DHKEM(X25519), HKDF-SHA256,
// ChaCha20-Poly1305), the deterministic encapsulation gives the RFC's enc.
func TestEncapVectorX25519(t *testing.T) {
	r, err := hpke.DHKEM(ecdh.X25519()).DeriveKeyPair(unhex(t, "1ac01f181fdf9f352797655161c58b75c656a6cc2716dcb66372da835542e1df"))
	if err != nil {
		t.Fatal(err)
	}
	pkRm := r.PublicKey().Bytes()
	if want := "4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a"; hex.EncodeToString(pkRm) != want {
		t.Fatalf("pkRm %x", pkRm)
	}
	_, enc, err := encapX25519(pkRm, unhex(t, "909a9b35d3dc4713a5e72a4da274b55d3d3821a37e5d099e74a647db583a904b"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a"; hex.EncodeToString(enc) != want {
		t.Fatalf("enc %x, want %s", enc, want)
	}
}

// TestEncapVectorXWing: the MLKEM768-X25519 / HKDF-SHA256 / ChaCha20-Poly1305 base-mode
// vector of draft-ietf-hpke-pq (as shipped in Go's crypto/hpke testdata): enc, the shared
// secret, the key schedule and the first encryption.
func TestEncapVectorXWing(t *testing.T) {
	r, err := hpke.MLKEM768X25519().DeriveKeyPair(unhex(t, "0379761fa4f6869592b0d1f9a71eb92b122dc030a7a8858132109f6b1a4bbde4"))
	if err != nil {
		t.Fatal(err)
	}
	pkRm := r.PublicKey().Bytes()
	if got := sha256.Sum256(pkRm); hex.EncodeToString(got[:]) != "120b60e0ae3c00c1c9def1c61aeb12de710bfa49646ae6f99a7e564b25ace493" {
		t.Fatalf("pkRm hashes to %x", got)
	}
	ikmE := unhex(t, "a3a869097e0241158eca5dc6c9e695f9e0d2ee5db51c09c435aab69d56509a43d94ff76d7d47cf79ecf75394261236cec024bd849cc782e14f7f0738af83daed")
	ss, enc, err := encapXWing(pkRm, ikmE)
	if err != nil {
		t.Fatal(err)
	}
	if got := sha256.Sum256(enc); hex.EncodeToString(got[:]) != "3a7ef30fb815e75b7f0f16f5bab5c36250882d94ea0f776cc2241cdd3b36b480" {
		t.Fatalf("enc hashes to %x", got)
	}
	if want := "b90cf181d95351d1091569487caaf6c3434eeb181a2c4c04631980ce139afa67"; hex.EncodeToString(ss) != want {
		t.Fatalf("shared secret %x, want %s", ss, want)
	}
	info := unhex(t, "34663634363532303666366532303631323034373732363536333639363136653230353537323665")
	key, nonce, err := keySchedule(kemMLKEM768X25519, ss, info)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(key) != "4a4c042267e8ec360c83b2baf0d5e3dcca73a86531cdf67ec41d95bccfe12387" || hex.EncodeToString(nonce) != "5ddfaaee10a4dfd0d8e1b49f" {
		t.Fatalf("key %x base_nonce %x", key, nonce)
	}
	aead, _ := chacha20poly1305.New(key)
	pt := unhex(t, "34323635363137353734373932303639373332303734373237353734363832633230373437323735373436383230363236353631373537343739")
	ct := aead.Seal(nil, nonce, pt, unhex(t, "436f756e742d30"))
	if want := "ac355d192158cd54250e1702be51e9d2eafe5f9292a9f153e02a2323e1ff071a30947836c38c63c986c28ccf05e00d4e5fe066a48ab8d5b39c69d32da80c93dc868daa0f853a6cbdd640"; hex.EncodeToString(ct) != want {
		t.Fatalf("ciphertext %x", ct)
	}
}

func BenchmarkSealDeterministic(b *testing.B) {
	rnd := make([]byte, MinSealRandomness)
	for _, s := range []EncryptionScheme{SchemeMLKEM768X25519, SchemeX25519} {
		k, _ := GenerateEncryptionKey(s)
		pub := k.Public()
		b.Run(string(s), func(b *testing.B) {
			for b.Loop() {
				if _, err := SealDeterministic(pub, []byte("i"), make([]byte, 32), rnd); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
