package keystore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"os"

	"golang.org/x/crypto/scrypt"
)

// ErrWrongPassphrase is returned when the wrapper cannot open the store.
var ErrWrongPassphrase = errors.New("wrong passphrase or wrapper key")

// KeyWrapper encrypts and decrypts private key material. ID names the wrapper kind and
// its parameters as stored with the keys, so that the store can tell which wrapper it
// needs.
type KeyWrapper interface {
	ID() string
	Wrap(plaintext []byte) ([]byte, error)
	Unwrap(wrapped []byte) ([]byte, error)
}

// aeadWrapper wraps with AES-256-GCM under a 32-byte key.
type aeadWrapper struct {
	id  string
	key []byte
}

func (w aeadWrapper) ID() string { return w.id }

func (w aeadWrapper) aead() (cipher.AEAD, error) {
	b, err := aes.NewCipher(w.key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(b)
}

func (w aeadWrapper) Wrap(p []byte) ([]byte, error) {
	a, err := w.aead()
	if err != nil {
		return nil, err
	}
	return a.Seal(nil, nil, p, []byte(w.id)), nil
}

func (w aeadWrapper) Unwrap(c []byte) ([]byte, error) {
	a, err := w.aead()
	if err != nil {
		return nil, err
	}
	p, err := a.Open(nil, nil, c, []byte(w.id))
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	return p, nil
}

// Scrypt parameters (interactive logins would use less; keys are opened once per start).
const (
	scryptN = 1 << 15
	scryptR = 8
	scryptP = 1
)

// PassphraseWrapper derives the wrapper key from a passphrase with scrypt and the given
// salt (a store keeps its salt; NewSalt makes one).
func PassphraseWrapper(passphrase, salt []byte) (KeyWrapper, error) {
	if len(passphrase) == 0 {
		return nil, errors.New("empty passphrase")
	}
	k, err := scrypt.Key(passphrase, salt, scryptN, scryptR, scryptP, 32)
	if err != nil {
		return nil, fmt.Errorf("derive wrapper key: %w", err)
	}
	return aeadWrapper{id: fmt.Sprintf("scrypt-n%d-r%d-p%d/aes-256-gcm", scryptN, scryptR, scryptP), key: k}, nil
}

// NewSalt returns 16 random bytes.
func NewSalt() []byte {
	s := make([]byte, 16)
	_, _ = rand.Read(s)
	return s
}

// KeyFileWrapper reads a 32-byte wrapper key from path.
func KeyFileWrapper(path string) (KeyWrapper, error) {
	k, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(k) != 32 {
		return nil, fmt.Errorf("wrapper key file %s: %d bytes, want 32", path, len(k))
	}
	return aeadWrapper{id: "key-file/aes-256-gcm", key: k}, nil
}

// NewKeyFile writes a fresh random 32-byte wrapper key to path (mode 0600).
func NewKeyFile(path string) error {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return err
	}
	return os.WriteFile(path, k, 0o600)
}
