package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
)

// ViewSeed is the random secret from which the symmetric key of one view is derived. The
// view is encrypted once under that key, and the seed is encrypted (Seal) to each
// recipient's encryption key, so a view of any size costs one symmetric encryption plus
// one small public-key encryption per recipient.
type ViewSeed [32]byte

// NewViewSeed draws a fresh seed.
func NewViewSeed() (ViewSeed, error) {
	var s ViewSeed
	if _, err := rand.Read(s[:]); err != nil {
		return s, fmt.Errorf("view seed: %w", err)
	}
	return s, nil
}

// key derives the AES-256 key of the seed for info with HKDF-SHA256.
func (s ViewSeed) key(info []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, s[:], nil, string(info), 32)
}

func (s ViewSeed) aead(info []byte) (cipher.AEAD, error) {
	k, err := s.key(info)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(block)
}

// EncryptView encrypts plaintext under the key derived from s for info (AES-256-GCM with
// a random nonce, which the result carries).
func EncryptView(s ViewSeed, info, plaintext []byte) ([]byte, error) {
	a, err := s.aead(info)
	if err != nil {
		return nil, err
	}
	return a.Seal(nil, nil, plaintext, info), nil
}

// DecryptView decrypts what EncryptView produced with the same seed and info.
func DecryptView(s ViewSeed, info, ciphertext []byte) ([]byte, error) {
	a, err := s.aead(info)
	if err != nil {
		return nil, err
	}
	pt, err := a.Open(nil, nil, ciphertext, info)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecryption, err)
	}
	return pt, nil
}
