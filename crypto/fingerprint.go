package crypto

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// FingerprintPrefix is the multihash prefix of a SHA-256 fingerprint (code 0x12, 32 bytes).
const FingerprintPrefix = "1220"

// Fingerprint identifies a public key. It is "1220" + hex(SHA-256(uint32be(12) || key)).
type Fingerprint string

// FingerprintOf computes the fingerprint of raw public key bytes.
func FingerprintOf(key []byte) Fingerprint {
	h := sha256.New()
	var p [4]byte
	binary.BigEndian.PutUint32(p[:], uint32(PurposePublicKeyFingerprint))
	h.Write(p[:])
	h.Write(key)
	return Fingerprint(FingerprintPrefix + hex.EncodeToString(h.Sum(nil)))
}

// ParseFingerprint checks the textual form of a fingerprint.
func ParseFingerprint(s string) (Fingerprint, error) {
	if len(s) != len(FingerprintPrefix)+2*sha256.Size || !strings.HasPrefix(s, FingerprintPrefix) {
		return "", fmt.Errorf("%w: fingerprint %q: want %q followed by 64 hex digits", ErrInvalidIdentifier, s, FingerprintPrefix)
	}
	if _, err := hex.DecodeString(s[len(FingerprintPrefix):]); err != nil || strings.ToLower(s) != s {
		return "", fmt.Errorf("%w: fingerprint %q: not lower-case hex", ErrInvalidIdentifier, s)
	}
	return Fingerprint(s), nil
}

// String returns the fingerprint text.
func (f Fingerprint) String() string { return string(f) }

// Short returns an abbreviation for logs and displays.
func (f Fingerprint) Short() string {
	if len(f) > 12 {
		return string(f[:12])
	}
	return string(f)
}
