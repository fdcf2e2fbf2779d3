package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
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

// lookup answers VerifySeeds' key question from the keyring: the one key of each member.
func (k keyring) lookup(member string, fp crypto.Fingerprint) (crypto.EncryptionPublicKey, bool) {
	pub, ok := k.EncryptionKey(member)
	return pub, ok && pub.Fingerprint() == fp
}

// multiView returns a view of pl with at least two recipients and a keyring member that is
// not among them.
func multiView(t *testing.T, pl *SubmissionPlan, keys keyring) (ViewEnvelope, string) {
	t.Helper()
	for _, v := range pl.Views {
		if len(v.Recipients) < 2 {
			continue
		}
		for _, m := range []string{pBank, pRegistry, pTrader, pCarol} {
			if !slices.Contains(v.Recipients, m) {
				return v, m
			}
		}
	}
	t.Fatal("no view with two recipients and an outsider")
	return ViewEnvelope{}, ""
}

func decodePayload(t *testing.T, content []byte) *pb.EncryptedPayload {
	t.Helper()
	msg, err := DecodeMessage(content)
	if err != nil || msg.GetEncrypted() == nil {
		t.Fatalf("decode payload: %v", err)
	}
	return msg.GetEncrypted()
}

// TestVerifySeedsHonest: in an honest batch every recipient of every payload opens it and
// finds every seed sealed to the others as it recomputes it; sealing is a function of the
// seed.
func TestVerifySeedsHonest(t *testing.T) {
	_, _, p := settled(t)
	pl := plan(t, p, hosting)
	keys := newKeyring(t)
	batch, err := pl.Batch(keys, []string{testMediator})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range pl.Views {
		env := batch.Envelopes[i]
		for _, m := range v.Recipients {
			op, err := OpenPayload(env.Content, m, keys.opener(m))
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifySeeds(op, MemberRecipients(env), keys.lookup); err != nil {
				t.Errorf("view %s as %s: %v", v.Path, m, err)
			}
		}
	}
	tree := batch.Envelopes[len(batch.Envelopes)-1]
	op, err := OpenPayload(tree.Content, testMediator, keys.opener(testMediator))
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifySeeds(op, []string{testMediator}, keys.lookup); err != nil {
		t.Errorf("informee tree: %v", err)
	}
	v := pl.Views[0]
	a, _ := sealPayload(op.Seed, pb.EncryptedPayload_KIND_VIEW, v.ViewHash, v.Plaintext, v.Recipients, keys)
	b, _ := sealPayload(op.Seed, pb.EncryptedPayload_KIND_VIEW, v.ViewHash, v.Plaintext, v.Recipients, keys)
	for j := range a.Seeds {
		if !bytes.Equal(a.Seeds[j].Sealed, b.Seeds[j].Sealed) {
			t.Fatal("the same seed sealed twice to one reader gives other bytes")
		}
	}
	if _, err := Seal(pb.EncryptedPayload_KIND_VIEW, v.ViewHash, v.Plaintext, []string{pBank, pTrader, pBank}, keys, nil); !errors.Is(err, ErrDuplicateReader) {
		t.Fatalf("a reader listed twice: %v", err)
	}
}

// TestVerifySeedsWrongSeed: a submitter seals another seed to one recipient. That
// recipient cannot decrypt (invalid encryption); every other one names it.
func TestVerifySeedsWrongSeed(t *testing.T) {
	_, _, p := settled(t)
	pl := plan(t, p, hosting)
	keys := newKeyring(t)
	v, outsider := multiView(t, pl, keys)
	victim := v.Recipients[1]
	env, err := SealWrongSeedFor(pb.EncryptedPayload_KIND_VIEW, v.ViewHash, v.Plaintext, v.Recipients, keys, members(v.Recipients), victim)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range v.Recipients {
		op, err := OpenPayload(env.Content, m, keys.opener(m))
		if m == victim {
			if !errors.Is(err, ErrInvalidEncryption) || !errors.Is(err, crypto.ErrDecryption) {
				t.Fatalf("victim opening: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		err = VerifySeeds(op, MemberRecipients(env), keys.lookup)
		var mismatch *SeedMismatchError
		if !errors.As(err, &mismatch) || mismatch.Recipient != victim || !errors.Is(err, ErrInvalidEncryptionFor) {
			t.Fatalf("%s verifying: %v", m, err)
		}
		if want := "invalid_encryption_for " + victim + ": "; !strings.HasPrefix(err.Error(), want) {
			t.Fatalf("error text %q, want prefix %q", err, want)
		}
	}
	if _, err := SealWrongSeedFor(pb.EncryptedPayload_KIND_VIEW, v.ViewHash, v.Plaintext, v.Recipients, keys, nil, outsider); !errors.Is(err, ErrNotARecipient) {
		t.Fatalf("victim not a reader: %v", err)
	}
}

// TestVerifySeedsTampered: the other ways a submitter can cheat one recipient, each seen
// by the others (the checker) and, where it can, by the victim itself.
func TestVerifySeedsTampered(t *testing.T) {
	_, _, p := settled(t)
	pl := plan(t, p, hosting)
	keys := newKeyring(t)
	v, outsider := multiView(t, pl, keys)
	checker, victim := v.Recipients[0], v.Recipients[1]
	kind := pb.EncryptedPayload_KIND_VIEW
	stranger, err := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	if err != nil {
		t.Fatal(err)
	}
	seedOfVictim := func(p *pb.EncryptedPayload) *pb.SealedSeed {
		i := slices.IndexFunc(p.Seeds, func(s *pb.SealedSeed) bool { return s.Recipient == victim })
		return p.Seeds[i]
	}
	for _, tc := range []struct {
		name    string
		tamper  func(p *pb.EncryptedPayload, seed crypto.ViewSeed)
		flagged string
		opens   func(error) bool // the victim's OpenPayload outcome
	}{{
		name: "sealed to a key the victim does not hold",
		tamper: func(p *pb.EncryptedPayload, seed crypto.ViewSeed) {
			s, fp := seedOfVictim(p), stranger.Public().Fingerprint()
			s.KeyFingerprint = string(fp)
			s.Sealed, _ = sealSeed(seed, kind, v.ViewHash, victim, stranger.Public(), fp)
		},
		flagged: victim,
		opens: func(err error) bool {
			return errors.Is(err, ErrInvalidEncryption) && errors.Is(err, crypto.ErrDecryption)
		},
	}, {
		name: "missing",
		tamper: func(p *pb.EncryptedPayload, _ crypto.ViewSeed) {
			p.Seeds = slices.DeleteFunc(p.Seeds, func(s *pb.SealedSeed) bool { return s.Recipient == victim })
		},
		flagged: victim,
		opens:   func(err error) bool { return errors.Is(err, ErrNotARecipient) },
	}, {
		name: "twice",
		tamper: func(p *pb.EncryptedPayload, _ crypto.ViewSeed) {
			p.Seeds = append(p.Seeds, seedOfVictim(p))
		},
		flagged: victim,
		opens:   func(err error) bool { return err == nil },
	}, {
		name: "extra seed for a non-recipient",
		tamper: func(p *pb.EncryptedPayload, seed crypto.ViewSeed) {
			s, err := sealSeedFor(seed, kind, v.ViewHash, outsider, keys)
			if err != nil {
				t.Fatal(err)
			}
			p.Seeds = append(p.Seeds, s)
		},
		flagged: outsider,
		opens:   func(err error) bool { return err == nil },
	}, {
		name: "randomized sealing (crypto.Seal)",
		tamper: func(p *pb.EncryptedPayload, seed crypto.ViewSeed) {
			pub, _ := keys.EncryptionKey(victim)
			seedOfVictim(p).Sealed, _ = crypto.Seal(pub, seedInfo(kind, v.ViewHash), seed[:])
		},
		flagged: victim,
		opens:   func(err error) bool { return err == nil },
	}} {
		t.Run(tc.name, func(t *testing.T) {
			env, err := Seal(kind, v.ViewHash, v.Plaintext, v.Recipients, keys, members(v.Recipients))
			if err != nil {
				t.Fatal(err)
			}
			honest, err := OpenPayload(env.Content, checker, keys.opener(checker))
			if err != nil {
				t.Fatal(err)
			}
			p := decodePayload(t, env.Content)
			tc.tamper(p, honest.Seed)
			env.Content = WrapEncrypted(p)
			op, err := OpenPayload(env.Content, checker, keys.opener(checker))
			if err != nil {
				t.Fatal(err)
			}
			err = VerifySeeds(op, MemberRecipients(env), keys.lookup)
			var mismatch *SeedMismatchError
			if !errors.As(err, &mismatch) || mismatch.Recipient != tc.flagged {
				t.Fatalf("verifying: %v, want a mismatch for %s", err, tc.flagged)
			}
			t.Log(err)
			mine, err := OpenPayload(env.Content, victim, keys.opener(victim))
			if !tc.opens(err) {
				t.Fatalf("victim opening: %v", err)
			}
			if err == nil && tc.flagged == victim {
				// A seed that opens is the opener's to use: it does not recompute its own
				// (the co-recipients do, above).
				// (A second seed for it is still flagged: the count is checked for all.)
				if err := VerifySeeds(mine, MemberRecipients(env), keys.lookup); err != nil && (!errors.As(err, &mismatch) || mismatch.Recipient != victim) {
					t.Fatalf("victim verifying the others' seeds: %v", err)
				}
			}
		})
	}
}

// BenchmarkVerifySeeds measures VerifySeeds on a payload for 8 recipients and reports the
// cost per recipient checked.
func BenchmarkVerifySeeds(b *testing.B) {
	const n = 8
	for _, s := range []crypto.EncryptionScheme{crypto.SchemeMLKEM768X25519, crypto.SchemeX25519} {
		keys := keyring{}
		var readers []string
		for i := range n {
			m := fmt.Sprintf("PAR::p%d::1220%02x", i, i)
			priv, err := crypto.GenerateEncryptionKey(s)
			if err != nil {
				b.Fatal(err)
			}
			keys[m] = priv
			readers = append(readers, m)
		}
		env, err := Seal(pb.EncryptedPayload_KIND_VIEW, Hash{1}, make([]byte, 4096), readers, keys, members(readers))
		if err != nil {
			b.Fatal(err)
		}
		op, err := OpenPayload(env.Content, readers[0], keys.opener(readers[0]))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(string(s), func(b *testing.B) {
			for b.Loop() {
				if err := VerifySeeds(op, readers, keys.lookup); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/recipient")
		})
	}
}
