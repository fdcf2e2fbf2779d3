package keystore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cometsync/cometsync/crypto"
)

// Purpose is what a key is for.
type Purpose string

// Key purposes.
const (
	PurposeSigning    Purpose = "signing"
	PurposeEncryption Purpose = "encryption"
)

// Status of a key: the active one of its purpose is used for new signatures and is the
// one others encrypt to; superseded ones are kept to open history.
const (
	StatusActive     = "active"
	StatusSuperseded = "superseded"
)

// ErrNoKey is returned when the store has no (active) key for a purpose or fingerprint.
var ErrNoKey = errors.New("no such key")

// ErrExists is returned by Create for a directory that already holds a store.
var ErrExists = errors.New("key store already exists")

const fileName = "keystore.json"

var checkPlaintext = []byte("cometsync key store")

// Entry is one key as stored: the public half in the clear, the private half wrapped.
type Entry struct {
	Purpose     Purpose `json:"purpose"`
	Scheme      string  `json:"scheme"`
	PublicKey   []byte  `json:"public_key"`
	Fingerprint string  `json:"fingerprint"`
	Status      string  `json:"status"`
	Wrapped     []byte  `json:"wrapped"`
}

type file struct {
	Version   int     `json:"version"`
	WrapperID string  `json:"wrapper"`
	Salt      []byte  `json:"salt,omitempty"`
	Check     []byte  `json:"check"`
	Keys      []Entry `json:"keys"`
}

// Store is an open key store.
type Store struct {
	dir string
	w   KeyWrapper
	f   file
}

// Create makes a new store in dir. salt is what the passphrase wrapper was derived with
// (nil for a key-file wrapper).
func Create(dir string, w KeyWrapper, salt []byte) (*Store, error) {
	if _, err := os.Stat(filepath.Join(dir, fileName)); err == nil {
		return nil, fmt.Errorf("%w in %s", ErrExists, dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	check, err := w.Wrap(checkPlaintext)
	if err != nil {
		return nil, err
	}
	s := &Store{dir: dir, w: w, f: file{Version: 1, WrapperID: w.ID(), Salt: salt, Check: check}}
	return s, s.save()
}

// Salt reads the salt a store's passphrase wrapper needs, without opening it.
func Salt(dir string) ([]byte, error) {
	f, err := read(dir)
	if err != nil {
		return nil, err
	}
	return f.Salt, nil
}

// Open opens the store in dir with wrapper w; a wrong passphrase or key file fails with
// ErrWrongPassphrase.
func Open(dir string, w KeyWrapper) (*Store, error) {
	f, err := read(dir)
	if err != nil {
		return nil, err
	}
	if f.WrapperID != w.ID() {
		return nil, fmt.Errorf("key store %s is wrapped with %s, not %s", dir, f.WrapperID, w.ID())
	}
	p, err := w.Unwrap(f.Check)
	if err != nil || !bytes.Equal(p, checkPlaintext) {
		return nil, ErrWrongPassphrase
	}
	return &Store{dir: dir, w: w, f: *f}, nil
}

func read(dir string) (*file, error) {
	b, err := os.ReadFile(filepath.Join(dir, fileName))
	if err != nil {
		return nil, err
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("key store %s is corrupt: %w", dir, err)
	}
	return &f, nil
}

// save writes the store atomically (temporary file, then rename).
func (s *Store) save() error {
	b, err := json.MarshalIndent(s.f, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(s.dir, fileName+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(s.dir, fileName))
}

// List returns the keys, oldest first.
func (s *Store) List() []Entry { return append([]Entry(nil), s.f.Keys...) }

// add stores a new active key of its purpose and supersedes the previous one.
func (s *Store) add(e Entry, private []byte) error {
	wrapped, err := s.w.Wrap(private)
	if err != nil {
		return err
	}
	for i := range s.f.Keys {
		if s.f.Keys[i].Purpose == e.Purpose && s.f.Keys[i].Status == StatusActive {
			s.f.Keys[i].Status = StatusSuperseded
		}
	}
	e.Status, e.Wrapped = StatusActive, wrapped
	s.f.Keys = append(s.f.Keys, e)
	return s.save()
}

// NewSigningKey generates a signing key and makes it the active one.
func (s *Store) NewSigningKey() (crypto.SigningPrivateKey, error) {
	k, err := crypto.GenerateSigningKey(nil)
	if err != nil {
		return k, err
	}
	return k, s.add(Entry{Purpose: PurposeSigning, Scheme: crypto.AlgorithmEd25519, PublicKey: k.Public().Key, Fingerprint: string(k.Fingerprint())}, k.Seed())
}

// ImportSigningKey stores an existing signing key (from a key file, for instance the
// synchronizer namespace key `node init` writes) and makes it the active one. A key the
// store already holds is refused.
func (s *Store) ImportSigningKey(k crypto.SigningPrivateKey) error {
	for _, e := range s.f.Keys {
		if e.Fingerprint == string(k.Fingerprint()) {
			return fmt.Errorf("key %s is already in the store", k.Fingerprint())
		}
	}
	return s.add(Entry{Purpose: PurposeSigning, Scheme: crypto.AlgorithmEd25519, PublicKey: k.Public().Key, Fingerprint: string(k.Fingerprint())}, k.Seed())
}

// NewEncryptionKey generates an encryption key of scheme and makes it the active one.
func (s *Store) NewEncryptionKey(scheme crypto.EncryptionScheme) (crypto.EncryptionPrivateKey, error) {
	k, err := crypto.GenerateEncryptionKey(scheme)
	if err != nil {
		return k, err
	}
	priv, err := k.Bytes()
	if err != nil {
		return k, err
	}
	pub := k.Public()
	return k, s.add(Entry{Purpose: PurposeEncryption, Scheme: string(scheme), PublicKey: pub.Key, Fingerprint: string(pub.Fingerprint())}, priv)
}

func (s *Store) find(pred func(Entry) bool) (Entry, []byte, error) {
	for i := len(s.f.Keys) - 1; i >= 0; i-- {
		if e := s.f.Keys[i]; pred(e) {
			p, err := s.w.Unwrap(e.Wrapped)
			return e, p, err
		}
	}
	return Entry{}, nil, ErrNoKey
}

// SigningKey returns the active signing key.
func (s *Store) SigningKey() (crypto.SigningPrivateKey, error) {
	_, seed, err := s.find(func(e Entry) bool { return e.Purpose == PurposeSigning && e.Status == StatusActive })
	if err != nil {
		return crypto.SigningPrivateKey{}, fmt.Errorf("signing key: %w", err)
	}
	return crypto.SigningKeyFromSeed(seed)
}

// EncryptionKey returns the active encryption key.
func (s *Store) EncryptionKey() (crypto.EncryptionPrivateKey, error) {
	return s.encryption(func(e Entry) bool { return e.Purpose == PurposeEncryption && e.Status == StatusActive })
}

// EncryptionKeyByFingerprint returns the encryption key (active or superseded) whose
// public key has fingerprint fp, to open what was sealed to it.
func (s *Store) EncryptionKeyByFingerprint(fp crypto.Fingerprint) (crypto.EncryptionPrivateKey, error) {
	return s.encryption(func(e Entry) bool { return e.Purpose == PurposeEncryption && e.Fingerprint == string(fp) })
}

func (s *Store) encryption(pred func(Entry) bool) (crypto.EncryptionPrivateKey, error) {
	e, priv, err := s.find(pred)
	if err != nil {
		return crypto.EncryptionPrivateKey{}, fmt.Errorf("encryption key: %w", err)
	}
	return crypto.EncryptionPrivateKeyFromBytes(crypto.EncryptionScheme(e.Scheme), priv)
}

// InitMember creates a member's signing key (which is also its namespace key) and an
// encryption key of scheme, and returns the member id kind::name::<namespace> and the
// public signing key.
func (s *Store) InitMember(kind crypto.MemberKind, name string, scheme crypto.EncryptionScheme) (crypto.Member, crypto.SigningPublicKey, error) {
	sig, err := s.NewSigningKey()
	if err != nil {
		return crypto.Member{}, crypto.SigningPublicKey{}, err
	}
	if _, err := s.NewEncryptionKey(scheme); err != nil {
		return crypto.Member{}, crypto.SigningPublicKey{}, err
	}
	m, err := crypto.NewMember(kind, name, sig.Fingerprint())
	return m, sig.Public(), err
}
