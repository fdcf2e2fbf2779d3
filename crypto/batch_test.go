package crypto_test

import (
	"bytes"
	"testing"

	"github.com/cometsync/cometsync/crypto"
)

// TestBatchVerifierReportsEachSignature mixes valid and invalid signatures in one batch
// and checks each verdict against verifying alone, under both rule sets for the valid.
func TestBatchVerifierReportsEachSignature(t *testing.T) {
	k1, _ := crypto.SigningKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	k2, _ := crypto.SigningKeyFromSeed(bytes.Repeat([]byte{2}, 32))
	p := crypto.PurposeSubmissionRequest
	sig1 := k1.Sign(p, []byte("one"))
	flipped := append([]byte(nil), sig1...)
	flipped[3] ^= 0x10
	type item struct {
		name  string
		key   crypto.SigningPublicKey
		data  []byte
		sig   []byte
		valid bool
	}
	items := []item{
		{"valid", k1.Public(), []byte("one"), sig1, true},
		{"valid, other key", k2.Public(), []byte("two"), k2.Sign(p, []byte("two")), true},
		{"flipped bit", k1.Public(), []byte("one"), flipped, false},
		{"other data", k1.Public(), []byte("uno"), sig1, false},
		{"other key", k2.Public(), []byte("one"), sig1, false},
		{"other purpose", k1.Public(), []byte("one"), k1.Sign(crypto.PurposeAcknowledgement, []byte("one")), false},
		{"short signature", k1.Public(), []byte("one"), sig1[:20], false},
		{"no key", crypto.SigningPublicKey{}, []byte("one"), sig1, false},
		{"valid again", k1.Public(), []byte("three"), k1.Sign(p, []byte("three")), true},
	}
	bv := crypto.NewBatchVerifier()
	for i, it := range items {
		if pos := bv.Add(it.key, p, it.data, it.sig); pos != i {
			t.Fatalf("Add #%d returned position %d", i, pos)
		}
	}
	got := bv.Verify()
	if len(got) != len(items) || bv.Len() != len(items) {
		t.Fatalf("%d verdicts, Len %d, for %d signatures", len(got), bv.Len(), len(items))
	}
	for i, it := range items {
		alone := it.key.VerifyZIP215(p, it.data, it.sig) == nil
		if got[i] != it.valid || alone != it.valid {
			t.Errorf("%s: batch %v, alone %v, want %v", it.name, got[i], alone, it.valid)
		}
		if it.valid && it.key.Verify(p, it.data, it.sig) != nil {
			t.Errorf("%s: the standard library's rules refuse it", it.name)
		}
	}
	// A batch of valid signatures only.
	good := crypto.NewBatchVerifier()
	for i := range 16 {
		data := []byte{byte(i)}
		good.Add(k1.Public(), p, data, k1.Sign(p, data))
	}
	for i, ok := range good.Verify() {
		if !ok {
			t.Errorf("valid signature %d refused in an all-valid batch", i)
		}
	}
	if v := crypto.NewBatchVerifier().Verify(); len(v) != 0 {
		t.Errorf("empty batch: %v", v)
	}
}
