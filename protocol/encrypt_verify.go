package protocol

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/protocolpb"
	seqpb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// Seeds are sealed deterministically: the HPKE encapsulation randomness for a reader is
// derived from the view seed and what the sealed seed is for (seedRandomness). The seed
// is fresh per payload and known only to its readers, so the randomness is secret to
// everyone else and HPKE stays as confidential as with fresh randomness; but every reader
// that opened the seed can recompute the seed sealed to every other reader and compare
// bytes. A submitter who seals a wrong seed (or a right seed with other randomness) to one
// reader is caught by the others.

// seedRandomnessLabel separates the seed-sealing randomness from every other use of the
// view seed (the payload key is derived with the info payloadInfo).
const seedRandomnessLabel = "cometsync/seed-seal-randomness/v1"

// seedRandomness derives the encapsulation randomness of the seed sealed to reader's key
// fp: HKDF-SHA256 with the seed as the key, no salt, and the info label || kind || bound
// || reader || fp, each variable-length field 4-byte-length-prefixed.
func seedRandomness(seed crypto.ViewSeed, kind pb.EncryptedPayload_Kind, bound Hash, reader string, fp crypto.Fingerprint) ([]byte, error) {
	info := make([]byte, 0, 4*4+len(seedRandomnessLabel)+len(kind.String())+len(bound)+len(reader)+len(fp))
	info = appendPrefixed(info, seedRandomnessLabel)
	info = appendPrefixed(info, kind.String())
	info = append(info, bound[:]...)
	info = appendPrefixed(info, reader)
	info = appendPrefixed(info, string(fp))
	return hkdf.Key(sha256.New, seed[:], nil, string(info), crypto.MinSealRandomness)
}

func appendPrefixed(b []byte, s string) []byte {
	return append(binary.BigEndian.AppendUint32(b, uint32(len(s))), s...)
}

// sealSeed is the sealed seed for reader's key pub (of fingerprint fp): a function of its
// arguments, recomputable by whoever knows seed.
func sealSeed(seed crypto.ViewSeed, kind pb.EncryptedPayload_Kind, bound Hash, reader string, pub crypto.EncryptionPublicKey, fp crypto.Fingerprint) ([]byte, error) {
	rnd, err := seedRandomness(seed, kind, bound, reader, fp)
	if err != nil {
		return nil, err
	}
	return crypto.SealDeterministic(pub, seedInfo(kind, bound), seed[:], rnd)
}

// SeedMismatchError reports a payload whose seed for Recipient is not what an honest
// submitter seals: the verdict invalid_encryption_for Recipient.
type SeedMismatchError struct {
	Recipient string
	Reason    string
}

func (e *SeedMismatchError) Error() string {
	return fmt.Sprintf("%v %s: %s", ErrInvalidEncryptionFor, e.Recipient, e.Reason)
}

// Unwrap returns ErrInvalidEncryptionFor.
func (e *SeedMismatchError) Unwrap() error { return ErrInvalidEncryptionFor }

// VerifySeeds checks, as a recipient that opened op, the seeds sealed to everyone else.
// recipients are the members the payload is for: MemberRecipients(env) for an envelope
// addressed to members (a caller expands a group itself). key tells whether fp is an
// encryption key of member and returns it (the caller decides which keys are in force:
// those at the request's time).
//
// In order: every seed is for a recipient; then, in recipient order, each recipient has
// exactly one seed, sealed to one of its keys, with the bytes recomputed from op.Seed.
// The first failure is returned as a *SeedMismatchError.
func VerifySeeds(op *Opened, recipients []string, key func(member string, fp crypto.Fingerprint) (crypto.EncryptionPublicKey, bool)) error {
	return VerifySeedsFor(op, recipients, nil, key)
}

// VerifySeedsFor is VerifySeeds recomputing the sealed seeds only of the recipients for
// which recompute returns true (nil: all); the structure (one seed per recipient, none
// for others) is checked for everyone. Recomputing a seed costs one HPKE
// encapsulation, so a participant recomputes only the seeds whose recipients could not
// stop a wrongly sealed request themselves.
func VerifySeedsFor(op *Opened, recipients []string, recompute func(recipient string) bool, key func(member string, fp crypto.Fingerprint) (crypto.EncryptionPublicKey, bool)) error {
	if op == nil || op.Payload == nil {
		return errors.New("verify seeds: no opened payload")
	}
	want := make(map[string]bool, len(recipients))
	for _, r := range recipients {
		want[r] = true
	}
	seeds := make(map[string][]*pb.SealedSeed, len(recipients))
	for _, s := range op.Payload.Seeds {
		if !want[s.Recipient] {
			return &SeedMismatchError{Recipient: s.Recipient, Reason: "sealed seed for a member that is not a recipient"}
		}
		seeds[s.Recipient] = append(seeds[s.Recipient], s)
	}
	for _, r := range recipients {
		if err := verifySeed(op, r, seeds[r], recompute == nil || recompute(r), key); err != nil {
			return err
		}
	}
	return nil
}

// verifySeed checks the seeds sealed to recipient r.
func verifySeed(op *Opened, r string, seeds []*pb.SealedSeed, recompute bool, key func(string, crypto.Fingerprint) (crypto.EncryptionPublicKey, bool)) error {
	switch len(seeds) {
	case 0:
		return &SeedMismatchError{Recipient: r, Reason: "no sealed seed"}
	case 1:
	default:
		return &SeedMismatchError{Recipient: r, Reason: fmt.Sprintf("%d sealed seeds", len(seeds))}
	}
	s := seeds[0]
	if r == op.Member || !recompute {
		return nil // the opener's own seed opened: nothing to recompute (one HPKE seal saved per view)
	}
	fp := crypto.Fingerprint(s.KeyFingerprint)
	pub, ok := key(r, fp)
	if !ok || pub.Fingerprint() != fp {
		return &SeedMismatchError{Recipient: r, Reason: fmt.Sprintf("seed sealed to %s, not an encryption key of the recipient", fp)}
	}
	sealed, err := sealSeed(op.Seed, op.Kind, op.BoundHash, r, pub, fp)
	if err != nil {
		return &SeedMismatchError{Recipient: r, Reason: fmt.Sprintf("cannot seal to its key: %v", err)}
	}
	if !bytes.Equal(sealed, s.Sealed) {
		return &SeedMismatchError{Recipient: r, Reason: "sealed seed is not the payload's seed sealed to its key"}
	}
	return nil
}

// SealWrongSeedFor seals like Seal, except that victim's seed is another random seed,
// sealed to victim's key as a dishonest submitter would: victim cannot decrypt the
// payload, and the other readers see it in VerifySeeds. It exists to test that check (the
// malicious-participant harness); honest code never calls it.
func SealWrongSeedFor(kind pb.EncryptedPayload_Kind, bound Hash, plaintext []byte, readers []string, keys EncryptionKeys, recipients []*seqpb.Recipient, victim string) (*seqpb.Envelope, error) {
	seed, err := crypto.NewViewSeed()
	if err != nil {
		return nil, err
	}
	p, err := sealPayload(seed, kind, bound, plaintext, readers, keys)
	if err != nil {
		return nil, err
	}
	wrong, err := crypto.NewViewSeed()
	if err != nil {
		return nil, err
	}
	for i, s := range p.Seeds {
		if s.Recipient != victim {
			continue
		}
		if p.Seeds[i], err = sealSeedFor(wrong, kind, bound, victim, keys); err != nil {
			return nil, err
		}
		return &seqpb.Envelope{Recipients: recipients, Content: WrapEncrypted(p)}, nil
	}
	return nil, fmt.Errorf("%w: victim %s is not a reader", ErrNotARecipient, victim)
}
