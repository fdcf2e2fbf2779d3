package protocol

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/protocolpb"
	seqpb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// keyring holds the encryption keys of the test participants and mediator.
type keyring map[string]crypto.EncryptionPrivateKey

func (k keyring) EncryptionKey(member string) (crypto.EncryptionPublicKey, bool) {
	priv, ok := k[member]
	if !ok {
		return crypto.EncryptionPublicKey{}, false
	}
	return priv.Public(), true
}

func (k keyring) opener(member string) func(crypto.Fingerprint) (crypto.EncryptionPrivateKey, bool) {
	return func(fp crypto.Fingerprint) (crypto.EncryptionPrivateKey, bool) {
		priv, ok := k[member]
		return priv, ok && priv.Public().Fingerprint() == fp
	}
}

const testMediator = "MED::mediator::1220e1"

func newKeyring(t testing.TB) keyring {
	t.Helper()
	k := keyring{}
	for _, m := range []string{pBank, pRegistry, pTrader, pCarol, testMediator} {
		priv, err := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
		if err != nil {
			t.Fatal(err)
		}
		k[m] = priv
	}
	return k
}

// TestEncryptedBatch builds the DvP batch with real encryption and checks that every
// recipient opens exactly its views, that the mediator opens the informee tree, that
// nobody else can, and that no plaintext field of the transaction is in the batch bytes.
func TestEncryptedBatch(t *testing.T) {
	_, s, p := settled(t)
	pl := plan(t, p, hosting)
	keys := newKeyring(t)
	batch, err := pl.Batch(keys, []string{testMediator})
	if err != nil {
		t.Fatal(err)
	}
	if len(batch.Envelopes) != len(pl.Views)+len(pl.RootHashMessages)+1 {
		t.Fatalf("%d envelopes", len(batch.Envelopes))
	}
	for i, v := range pl.Views {
		env := batch.Envelopes[i]
		for _, m := range []string{pBank, pRegistry, pTrader, pCarol, testMediator} {
			got, err := OpenPayload(env.Content, m, keys.opener(m))
			if slices.Contains(v.Recipients, m) {
				if err != nil || !bytes.Equal(got.Plaintext, v.Plaintext) || got.BoundHash != v.ViewHash {
					t.Fatalf("view %s: recipient %s cannot open it: %v", v.Path, m, err)
				}
			} else if !errors.Is(err, ErrNotARecipient) {
				t.Fatalf("view %s: non-recipient %s: %v", v.Path, m, err)
			}
		}
	}
	tree := batch.Envelopes[len(batch.Envelopes)-1]
	if tree.Recipients[0].Group != seqpb.GroupKind_GROUP_KIND_MEDIATOR_GROUP {
		t.Fatalf("informee tree recipients %v", tree.Recipients)
	}
	got, err := OpenPayload(tree.Content, testMediator, keys.opener(testMediator))
	if err != nil || got.Kind != pb.EncryptedPayload_KIND_INFORMEE_TREE || !bytes.Equal(got.Plaintext, pl.InformeeTree) {
		t.Fatalf("mediator opening the informee tree: %v", err)
	}
	if _, err := OpenPayload(tree.Content, pTrader, keys.opener(pTrader)); !errors.Is(err, ErrNotARecipient) {
		t.Fatalf("participant opening the informee tree: %v", err)
	}
	raw, _ := batch.Marshal()
	for _, secret := range []string{"USD", string(alice), string(bob), string(bank), string(registry), string(s.cmd.ActAs[0]), "Settle"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the batch contains the plaintext %q", secret)
		}
	}
}

// TestOpenPayloadWrongKey: a seed sealed to a key the member no longer (or never) held
// does not open, with a decryption error rather than garbage.
func TestOpenPayloadWrongKey(t *testing.T) {
	_, _, p := settled(t)
	pl := plan(t, p, hosting)
	keys := newKeyring(t)
	batch, err := pl.Batch(keys, []string{testMediator})
	if err != nil {
		t.Fatal(err)
	}
	v := pl.Views[0]
	stranger, _ := crypto.GenerateEncryptionKey(crypto.SchemeX25519)
	_, err = OpenPayload(batch.Envelopes[0].Content, v.Recipients[0], func(crypto.Fingerprint) (crypto.EncryptionPrivateKey, bool) { return stranger, true })
	if !errors.Is(err, crypto.ErrDecryption) {
		t.Fatalf("open with the wrong key: %v", err)
	}
	if _, err := pl.Batch(keyring{}, nil); !errors.Is(err, ErrNoEncryptionKey) {
		t.Fatalf("batch without keys: %v", err)
	}
}
