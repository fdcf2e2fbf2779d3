package crypto

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// KeyFile is the on-disk form of a member's signing key. It is written with mode 0600.
// Encryption at rest under a wrapper key is layered on top by the key store.
type KeyFile struct {
	Member      string `json:"member,omitempty"`
	Algorithm   string `json:"algorithm"`
	Seed        string `json:"seed"`
	PublicKey   string `json:"public_key"`
	Fingerprint string `json:"fingerprint"`
}

// AlgorithmEd25519 is the only signing algorithm so far.
const AlgorithmEd25519 = "ed25519"

// ErrKeyFile is returned for unreadable or inconsistent key files.
var ErrKeyFile = errors.New("invalid key file")

// NewKeyFile describes k (owned by member, which may be empty).
func NewKeyFile(member string, k SigningPrivateKey) KeyFile {
	return KeyFile{
		Member:      member,
		Algorithm:   AlgorithmEd25519,
		Seed:        base64.StdEncoding.EncodeToString(k.Seed()),
		PublicKey:   base64.StdEncoding.EncodeToString(k.Public().Key),
		Fingerprint: string(k.Fingerprint()),
	}
}

// WriteKeyFile writes kf to path (mode 0600), creating the directory.
func WriteKeyFile(path string, kf KeyFile) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

// ReadKeyFile reads a key file and checks that its parts agree.
func ReadKeyFile(path string) (KeyFile, SigningPrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return KeyFile{}, SigningPrivateKey{}, err
	}
	var kf KeyFile
	if err := json.Unmarshal(b, &kf); err != nil {
		return KeyFile{}, SigningPrivateKey{}, fmt.Errorf("%w: %s: %v", ErrKeyFile, path, err)
	}
	if kf.Algorithm != AlgorithmEd25519 {
		return kf, SigningPrivateKey{}, fmt.Errorf("%w: %s: algorithm %q", ErrKeyFile, path, kf.Algorithm)
	}
	seed, err := base64.StdEncoding.DecodeString(kf.Seed)
	if err != nil {
		return kf, SigningPrivateKey{}, fmt.Errorf("%w: %s: seed: %v", ErrKeyFile, path, err)
	}
	k, err := SigningKeyFromSeed(seed)
	if err != nil {
		return kf, SigningPrivateKey{}, fmt.Errorf("%w: %s: %v", ErrKeyFile, path, err)
	}
	if kf.PublicKey != base64.StdEncoding.EncodeToString(k.Public().Key) {
		return kf, SigningPrivateKey{}, fmt.Errorf("%w: %s: public key does not match the seed", ErrKeyFile, path)
	}
	if string(k.Fingerprint()) != kf.Fingerprint {
		return kf, SigningPrivateKey{}, fmt.Errorf("%w: %s: fingerprint does not match the key", ErrKeyFile, path)
	}
	return kf, k, nil
}
