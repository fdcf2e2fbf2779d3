package protocol

import (
	"errors"
	"testing"

	"github.com/cometsync/cometsync/crypto"
)

// FuzzOpenPayload: any bytes in an encrypted envelope either open for the member or fail
// with a malformed, not-a-recipient or decryption error; nothing panics.
func FuzzOpenPayload(f *testing.F) {
	_, _, p := settled(f)
	pl := plan(f, p, hosting)
	keys := newKeyring(f)
	batch, err := pl.Batch(keys, []string{testMediator})
	if err != nil {
		f.Fatal(err)
	}
	for _, env := range batch.Envelopes {
		f.Add(env.Content)
	}
	f.Add([]byte{})
	member := pl.Views[0].Recipients[0]
	open := keys.opener(member)
	f.Fuzz(func(t *testing.T, content []byte) {
		got, err := OpenPayload(content, member, open)
		switch {
		case err == nil:
			if got == nil {
				t.Fatal("nil result without error")
			}
		case errors.Is(err, ErrMalformedTree), errors.Is(err, ErrNotARecipient), errors.Is(err, crypto.ErrDecryption):
		default:
			t.Fatalf("unexpected error type: %v", err)
		}
	})
}
