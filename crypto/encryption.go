package crypto

import (
	"crypto/ecdh"
	"crypto/hpke"
	"errors"
	"fmt"
)

// EncryptionScheme names an HPKE (RFC 9180) suite. Every scheme uses HKDF-SHA256 and
// ChaCha20-Poly1305; they differ in the KEM.
type EncryptionScheme string

// Encryption schemes. The default is the post-quantum hybrid: ciphertexts stay on-chain
// forever, so they must withstand a future quantum adversary.
const (
	SchemeMLKEM768X25519 EncryptionScheme = "hpke-mlkem768-x25519"
	SchemeX25519         EncryptionScheme = "hpke-dhkem-x25519"
	DefaultScheme                         = SchemeMLKEM768X25519
)

// ErrDecryption is returned when a ciphertext does not open with the key: wrong key,
// wrong context, or tampered bytes.
var ErrDecryption = errors.New("decryption failed")

// ErrUnknownScheme is returned for a scheme this code does not implement.
var ErrUnknownScheme = errors.New("unknown encryption scheme")

func (s EncryptionScheme) kem() (hpke.KEM, error) {
	switch s {
	case SchemeMLKEM768X25519:
		return hpke.MLKEM768X25519(), nil
	case SchemeX25519:
		return hpke.DHKEM(ecdh.X25519()), nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownScheme, string(s))
}

// EncryptionPublicKey is an HPKE public key with its scheme.
type EncryptionPublicKey struct {
	Scheme EncryptionScheme
	Key    []byte
}

// EncryptionPrivateKey is an HPKE private key.
type EncryptionPrivateKey struct {
	Scheme EncryptionScheme
	key    hpke.PrivateKey
}

// GenerateEncryptionKey creates a key pair of scheme s.
func GenerateEncryptionKey(s EncryptionScheme) (EncryptionPrivateKey, error) {
	kem, err := s.kem()
	if err != nil {
		return EncryptionPrivateKey{}, err
	}
	k, err := kem.GenerateKey()
	if err != nil {
		return EncryptionPrivateKey{}, fmt.Errorf("generate %s key: %w", s, err)
	}
	return EncryptionPrivateKey{Scheme: s, key: k}, nil
}

// EncryptionPrivateKeyFromBytes restores a key serialized with Bytes.
func EncryptionPrivateKeyFromBytes(s EncryptionScheme, b []byte) (EncryptionPrivateKey, error) {
	kem, err := s.kem()
	if err != nil {
		return EncryptionPrivateKey{}, err
	}
	k, err := kem.NewPrivateKey(b)
	if err != nil {
		return EncryptionPrivateKey{}, fmt.Errorf("%s private key: %w", s, err)
	}
	return EncryptionPrivateKey{Scheme: s, key: k}, nil
}

// Bytes serializes the private key (RFC 9180 SerializePrivateKey).
func (k EncryptionPrivateKey) Bytes() ([]byte, error) { return k.key.Bytes() }

// Public returns the public half.
func (k EncryptionPrivateKey) Public() EncryptionPublicKey {
	return EncryptionPublicKey{Scheme: k.Scheme, Key: k.key.PublicKey().Bytes()}
}

// Fingerprint identifies the public key (the scheme is part of what is hashed).
func (p EncryptionPublicKey) Fingerprint() Fingerprint {
	return FingerprintOf(append([]byte(string(p.Scheme)+":"), p.Key...))
}

// Seal encrypts plaintext to p. info binds the ciphertext to its use (for example a
// purpose and a view hash): Open must be given the same info.
func Seal(p EncryptionPublicKey, info, plaintext []byte) ([]byte, error) {
	kem, err := p.Scheme.kem()
	if err != nil {
		return nil, err
	}
	pk, err := kem.NewPublicKey(p.Key)
	if err != nil {
		return nil, fmt.Errorf("%s public key: %w", p.Scheme, err)
	}
	return hpke.Seal(pk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info, plaintext)
}

// Open decrypts a ciphertext made by Seal for k's public key with the same info.
func Open(k EncryptionPrivateKey, info, ciphertext []byte) ([]byte, error) {
	pt, err := hpke.Open(k.key, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info, ciphertext)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecryption, err)
	}
	return pt, nil
}
