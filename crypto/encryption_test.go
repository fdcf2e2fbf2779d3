package crypto

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealOpen(t *testing.T) {
	for _, s := range []EncryptionScheme{SchemeMLKEM768X25519, SchemeX25519} {
		t.Run(string(s), func(t *testing.T) {
			k, err := GenerateEncryptionKey(s)
			if err != nil {
				t.Fatal(err)
			}
			other, _ := GenerateEncryptionKey(s)
			info := []byte("view seed for view 0.1")
			ct, err := Seal(k.Public(), info, []byte("the seed"))
			if err != nil {
				t.Fatal(err)
			}
			if pt, err := Open(k, info, ct); err != nil || string(pt) != "the seed" {
				t.Fatalf("open: %q %v", pt, err)
			}
			if _, err := Open(other, info, ct); !errors.Is(err, ErrDecryption) {
				t.Fatalf("open with another key: %v", err)
			}
			if _, err := Open(k, []byte("another view"), ct); !errors.Is(err, ErrDecryption) {
				t.Fatalf("open with another info: %v", err)
			}
			bad := bytes.Clone(ct)
			bad[len(bad)-1] ^= 1
			if _, err := Open(k, info, bad); !errors.Is(err, ErrDecryption) {
				t.Fatalf("open tampered: %v", err)
			}
			if _, err := Open(k, info, ct[:3]); !errors.Is(err, ErrDecryption) {
				t.Fatalf("open truncated: %v", err)
			}
			// A restored private key opens what was sealed to the original.
			b, err := k.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			k2, err := EncryptionPrivateKeyFromBytes(s, b)
			if err != nil {
				t.Fatal(err)
			}
			if pt, err := Open(k2, info, ct); err != nil || string(pt) != "the seed" {
				t.Fatalf("open with restored key: %v", err)
			}
			if k2.Public().Fingerprint() != k.Public().Fingerprint() {
				t.Fatal("restored key has another fingerprint")
			}
		})
	}
	if _, err := GenerateEncryptionKey("rot13"); !errors.Is(err, ErrUnknownScheme) {
		t.Fatalf("unknown scheme: %v", err)
	}
}

func TestViewEncryption(t *testing.T) {
	seed, err := NewViewSeed()
	if err != nil {
		t.Fatal(err)
	}
	info := []byte("view 0")
	ct, err := EncryptView(seed, info, []byte("the view"))
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := DecryptView(seed, info, ct); err != nil || string(pt) != "the view" {
		t.Fatalf("decrypt: %q %v", pt, err)
	}
	again, _ := EncryptView(seed, info, []byte("the view"))
	if bytes.Equal(ct, again) {
		t.Fatal("two encryptions of the same view are identical (nonce reuse)")
	}
	k1, _ := seed.key([]byte("view 0"))
	k2, _ := seed.key([]byte("view 0"))
	k3, _ := seed.key([]byte("view 1"))
	if !bytes.Equal(k1, k2) || bytes.Equal(k1, k3) {
		t.Fatal("view keys must be a function of (seed, info) and differ across info")
	}
	other, _ := NewViewSeed()
	for name, try := range map[string]func() ([]byte, error){
		"other seed": func() ([]byte, error) { return DecryptView(other, info, ct) },
		"other info": func() ([]byte, error) { return DecryptView(seed, []byte("view 1"), ct) },
		"tampered":   func() ([]byte, error) { b := bytes.Clone(ct); b[len(b)-1] ^= 1; return DecryptView(seed, info, b) },
	} {
		if _, err := try(); !errors.Is(err, ErrDecryption) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	for _, s := range []EncryptionScheme{SchemeMLKEM768X25519, SchemeX25519} {
		k, _ := GenerateEncryptionKey(s)
		pub := k.Public()
		b.Run(string(s), func(b *testing.B) {
			for b.Loop() {
				if _, err := Seal(pub, []byte("i"), make([]byte, 32)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
