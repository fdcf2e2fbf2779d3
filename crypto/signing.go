package crypto

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
)

// ErrBadSignature is returned when a signature does not verify.
var ErrBadSignature = errors.New("signature does not verify")

// SigningPublicKey is an Ed25519 public key.
type SigningPublicKey struct {
	Key ed25519.PublicKey
}

// SigningPrivateKey is an Ed25519 private key with its public half.
type SigningPrivateKey struct {
	Key ed25519.PrivateKey
}

// GenerateSigningKey creates a new key from r (crypto/rand when r is nil).
func GenerateSigningKey(r io.Reader) (SigningPrivateKey, error) {
	if r == nil {
		r = rand.Reader
	}
	_, priv, err := ed25519.GenerateKey(r)
	if err != nil {
		return SigningPrivateKey{}, fmt.Errorf("generate signing key: %w", err)
	}
	return SigningPrivateKey{Key: priv}, nil
}

// SigningKeyFromSeed derives a key from a 32-byte seed.
func SigningKeyFromSeed(seed []byte) (SigningPrivateKey, error) {
	if len(seed) != ed25519.SeedSize {
		return SigningPrivateKey{}, fmt.Errorf("signing key seed: %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	return SigningPrivateKey{Key: ed25519.NewKeyFromSeed(seed)}, nil
}

// SigningPublicKeyFromBytes checks and wraps raw public key bytes.
func SigningPublicKeyFromBytes(b []byte) (SigningPublicKey, error) {
	if len(b) != ed25519.PublicKeySize {
		return SigningPublicKey{}, fmt.Errorf("signing public key: %d bytes, want %d", len(b), ed25519.PublicKeySize)
	}
	return SigningPublicKey{Key: append(ed25519.PublicKey(nil), b...)}, nil
}

// Public returns the public half.
func (k SigningPrivateKey) Public() SigningPublicKey {
	return SigningPublicKey{Key: k.Key.Public().(ed25519.PublicKey)}
}

// Fingerprint returns the fingerprint of the public half.
func (k SigningPrivateKey) Fingerprint() Fingerprint { return k.Public().Fingerprint() }

// Seed returns the 32-byte seed the key derives from.
func (k SigningPrivateKey) Seed() []byte { return k.Key.Seed() }

// Sign signs the purpose-prefixed hash of data.
func (k SigningPrivateKey) Sign(p Purpose, data []byte) []byte {
	return ed25519.Sign(k.Key, HashBytes(p, data))
}

// SignHash signs a hash that already carries its purpose (built with a Hasher).
func (k SigningPrivateKey) SignHash(h []byte) []byte { return ed25519.Sign(k.Key, h) }

// Fingerprint returns the key's fingerprint.
func (k SigningPublicKey) Fingerprint() Fingerprint { return FingerprintOf(k.Key) }

// Verify checks a signature made by Sign with the same purpose.
func (k SigningPublicKey) Verify(p Purpose, data, sig []byte) error {
	return k.VerifyHash(HashBytes(p, data), sig)
}

// VerifyHash checks a signature made by SignHash.
func (k SigningPublicKey) VerifyHash(h, sig []byte) error {
	if len(k.Key) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: no valid public key", ErrBadSignature)
	}
	if len(sig) != ed25519.SignatureSize || !ed25519.Verify(k.Key, h, sig) {
		return fmt.Errorf("%w: key %s", ErrBadSignature, k.Fingerprint().Short())
	}
	return nil
}
