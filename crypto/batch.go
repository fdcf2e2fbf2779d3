package crypto

import (
	"crypto/ed25519"
	"fmt"

	cmtcrypto "github.com/cometbft/cometbft/crypto"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
)

// The sequencer core verifies submission signatures under the ZIP-215 rules, through
// CometBFT's Ed25519 (curve25519-voi, with a cache of expanded public keys): the rules
// CometBFT applies to its own votes. Under them a batch verifies exactly when each of its
// signatures verifies alone, so a node may check the submissions it receives in batches
// (several times faster per signature) while every replica that checks one submission
// alone reaches the same verdict. Signatures made by Sign verify under both these rules
// and Verify's (the standard library's); the two differ only on deliberately malformed
// signatures, which is why code on a consensus path must use one of them consistently.

// VerifyZIP215 checks a signature made by Sign with purpose p under the ZIP-215 rules.
func (k SigningPublicKey) VerifyZIP215(p Purpose, data, sig []byte) error {
	if len(k.Key) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: no valid public key", ErrBadSignature)
	}
	if len(sig) != ed25519.SignatureSize || !cmted25519.PubKey(k.Key).VerifySignature(HashBytes(p, data), sig) {
		return fmt.Errorf("%w: key %s", ErrBadSignature, k.Fingerprint().Short())
	}
	return nil
}

// BatchVerifier checks many signatures together under the ZIP-215 rules. The zero value
// is not usable; call NewBatchVerifier.
type BatchVerifier struct {
	bv cmtcrypto.BatchVerifier
	// index maps each signature added to the batch to its position in the caller's
	// order; signatures refused by Add (malformed) are not in the batch.
	index []int
	valid []bool
}

// NewBatchVerifier returns an empty batch.
func NewBatchVerifier() *BatchVerifier {
	return &BatchVerifier{bv: cmted25519.NewBatchVerifier()}
}

// Add queues the signature sig by k over data with purpose p. It returns its position in
// the result of Verify.
func (b *BatchVerifier) Add(k SigningPublicKey, p Purpose, data, sig []byte) int {
	pos := len(b.valid)
	b.valid = append(b.valid, false)
	if len(k.Key) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return pos
	}
	if err := b.bv.Add(cmted25519.PubKey(k.Key), HashBytes(p, data), sig); err != nil {
		return pos
	}
	b.index = append(b.index, pos)
	return pos
}

// Len is the number of signatures added.
func (b *BatchVerifier) Len() int { return len(b.valid) }

// Verify checks every signature added and reports, in the order of Add, which ones
// verify. A batch with a bad signature in it costs about as much as verifying each
// signature alone.
func (b *BatchVerifier) Verify() []bool {
	if len(b.index) > 0 {
		ok, each := b.bv.Verify()
		for i, pos := range b.index {
			b.valid[pos] = ok || (i < len(each) && each[i])
		}
	}
	return b.valid
}
