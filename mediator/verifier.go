package mediator

import (
	"fmt"

	"github.com/cometsync/cometsync/crypto"
)

// Verifier checks a member's signature. The loop implements it with the signing keys of
// the member's OwnerToKeyMapping valid at time at; the core never looks keys up itself.
// Implementations must be deterministic for replay.
type Verifier interface {
	// Verify returns nil when signature is member's signature of digest with the key of
	// fingerprint key, valid at time at (microseconds).
	Verify(member, key string, at int64, digest, signature []byte) error
}

// StaticKeys is a Verifier over a fixed set of keys per member (tests, simple setups).
type StaticKeys map[string][]crypto.SigningPublicKey

// Verify implements Verifier.
func (s StaticKeys) Verify(member, key string, _ int64, digest, signature []byte) error {
	for _, k := range s[member] {
		if string(k.Fingerprint()) == key {
			return k.VerifyHash(digest, signature)
		}
	}
	return fmt.Errorf("%w: no key %q for %s", crypto.ErrBadSignature, key, member)
}
