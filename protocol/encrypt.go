package protocol

import (
	"errors"
	"fmt"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/protocolpb"
	seqpb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// ErrNoEncryptionKey is returned when a recipient has no encryption key in force.
var ErrNoEncryptionKey = errors.New("recipient has no encryption key")

// ErrNotARecipient is returned when a payload carries no seed for the member opening it.
var ErrNotARecipient = errors.New("payload has no seed for this member")

// ErrInvalidEncryption: a payload addressed to this member does not open with its key.
var ErrInvalidEncryption = errors.New("invalid encryption")

// ErrInvalidEncryptionFor: a payload's seed for another recipient is missing, duplicated,
// sealed to a key that recipient does not have, or not the seed the payload is encrypted
// under (SeedMismatchError names the recipient).
var ErrInvalidEncryptionFor = errors.New("invalid_encryption_for")

// ErrDuplicateReader is returned when a payload is to be sealed to the same member twice.
var ErrDuplicateReader = errors.New("reader listed twice")

// EncryptionKeys gives the encryption key in force for a member (from its
// OwnerToKeyMapping in the topology snapshot the submitter computed recipients with).
type EncryptionKeys interface {
	EncryptionKey(member string) (crypto.EncryptionPublicKey, bool)
}

// Batch turns the plan into the one batch the submitter sends: per view an envelope
// with the view tree encrypted to its recipient participants; per participant its root
// hash message in the clear, addressed to it and the mediator group; and the informee
// tree encrypted to the mediators. Nothing else is readable on the chain.
func (pl *SubmissionPlan) Batch(keys EncryptionKeys, mediators []string) (*seqpb.Batch, error) {
	b := &seqpb.Batch{}
	for _, v := range pl.Views {
		env, err := sealEnvelope(pb.EncryptedPayload_KIND_VIEW, v.ViewHash, v.Plaintext, v.Recipients, keys, members(v.Recipients))
		if err != nil {
			return nil, fmt.Errorf("view %s: %w", v.Path, err)
		}
		b.Envelopes = append(b.Envelopes, env)
	}
	mg := &seqpb.Recipient{Group: seqpb.GroupKind_GROUP_KIND_MEDIATOR_GROUP, GroupIndex: pl.MediatorGroup}
	for _, r := range pl.RootHashMessages {
		content, err := WrapRootHash(r.Payload)
		if err != nil {
			return nil, fmt.Errorf("root hash message for %s: %w", r.Participant, err)
		}
		b.Envelopes = append(b.Envelopes, &seqpb.Envelope{Recipients: []*seqpb.Recipient{{Member: r.Participant}, mg}, Content: content})
	}
	env, err := sealEnvelope(pb.EncryptedPayload_KIND_INFORMEE_TREE, pl.RootHash, pl.InformeeTree, mediators, keys, []*seqpb.Recipient{mg})
	if err != nil {
		return nil, fmt.Errorf("informee tree: %w", err)
	}
	b.Envelopes = append(b.Envelopes, env)
	return b, nil
}

func members(ids []string) []*seqpb.Recipient {
	out := make([]*seqpb.Recipient, len(ids))
	for i, id := range ids {
		out[i] = &seqpb.Recipient{Member: id}
	}
	return out
}

func payloadInfo(kind pb.EncryptedPayload_Kind, bound Hash) []byte {
	return append([]byte("cometsync/payload/"+kind.String()+"/"), bound[:]...)
}

func seedInfo(kind pb.EncryptedPayload_Kind, bound Hash) []byte {
	return append([]byte("cometsync/seed/"+kind.String()+"/"), bound[:]...)
}

// Seal encrypts plaintext under a fresh seed bound to (kind, bound), seals the seed to
// each reader's encryption key and returns the envelope for recipients: how responses
// and verdicts travel (to the mediator group, to the informee participants). readers must
// be distinct (ErrDuplicateReader); each reader can check the others' seeds (VerifySeeds).
func Seal(kind pb.EncryptedPayload_Kind, bound Hash, plaintext []byte, readers []string, keys EncryptionKeys, recipients []*seqpb.Recipient) (*seqpb.Envelope, error) {
	return sealEnvelope(kind, bound, plaintext, readers, keys, recipients)
}

// sealEnvelope encrypts plaintext under a fresh view seed and seals the seed to each of
// readers (distinct members) deterministically (sealSeed), so that every reader can check
// what the others received (VerifySeeds); the envelope goes to recipients.
func sealEnvelope(kind pb.EncryptedPayload_Kind, bound Hash, plaintext []byte, readers []string, keys EncryptionKeys, recipients []*seqpb.Recipient) (*seqpb.Envelope, error) {
	seed, err := crypto.NewViewSeed()
	if err != nil {
		return nil, err
	}
	p, err := sealPayload(seed, kind, bound, plaintext, readers, keys)
	if err != nil {
		return nil, err
	}
	return &seqpb.Envelope{Recipients: recipients, Content: WrapEncrypted(p)}, nil
}

// sealPayload encrypts plaintext under seed and seals seed to each reader's key.
func sealPayload(seed crypto.ViewSeed, kind pb.EncryptedPayload_Kind, bound Hash, plaintext []byte, readers []string, keys EncryptionKeys) (*pb.EncryptedPayload, error) {
	ct, err := crypto.EncryptView(seed, payloadInfo(kind, bound), plaintext)
	if err != nil {
		return nil, err
	}
	p := &pb.EncryptedPayload{Kind: kind, BoundHash: bound[:], Ciphertext: ct}
	seen := make(map[string]bool, len(readers))
	for _, r := range readers {
		if seen[r] {
			return nil, fmt.Errorf("%w: %s", ErrDuplicateReader, r)
		}
		seen[r] = true
		s, err := sealSeedFor(seed, kind, bound, r, keys)
		if err != nil {
			return nil, err
		}
		p.Seeds = append(p.Seeds, s)
	}
	return p, nil
}

// sealSeedFor seals seed to reader's encryption key in keys.
func sealSeedFor(seed crypto.ViewSeed, kind pb.EncryptedPayload_Kind, bound Hash, reader string, keys EncryptionKeys) (*pb.SealedSeed, error) {
	pub, ok := keys.EncryptionKey(reader)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoEncryptionKey, reader)
	}
	fp := pub.Fingerprint()
	var sealed []byte
	var err error
	switch kind {
	case pb.EncryptedPayload_KIND_CONFIRMATION_RESPONSE, pb.EncryptedPayload_KIND_TRANSACTION_RESULT:
		// Signed by their one sender and checked by signature: no co-recipient needs to
		// recompute their seeds, so the cheaper randomized sealing does.
		sealed, err = crypto.Seal(pub, seedInfo(kind, bound), seed[:])
	default:
		sealed, err = sealSeed(seed, kind, bound, reader, pub, fp)
	}
	if err != nil {
		return nil, fmt.Errorf("seal seed to %s: %w", reader, err)
	}
	return &pb.SealedSeed{Recipient: reader, KeyFingerprint: string(fp), Sealed: sealed}, nil
}

// Opened is a decrypted payload, with what a recipient needs to check the seeds sealed to
// the other recipients (VerifySeeds).
type Opened struct {
	Kind      pb.EncryptedPayload_Kind
	BoundHash Hash
	Plaintext []byte
	// Seed is the view seed the payload is encrypted under.
	Seed crypto.ViewSeed
	// Payload is the decoded encrypted payload, sealed seeds included.
	Payload *pb.EncryptedPayload
	// Member is the member that opened the payload: VerifySeeds does not recompute its
	// own sealed seed (opening it proved it), only the co-recipients'.
	Member string
}

// OpenPayload decrypts an encrypted envelope's content (a ProtocolMessage holding an
// EncryptedPayload) as member, with the private key whose public fingerprint the sealed
// seed names (key returns it; a member keeps its superseded keys so that history still
// decrypts). A payload with no seed for member fails with ErrNotARecipient; one whose
// seed for member names a key member does not hold, does not open, or opens to a seed
// the ciphertext does not decrypt under fails with an error that is both
// ErrInvalidEncryption and crypto.ErrDecryption.
func OpenPayload(content []byte, member string, key func(crypto.Fingerprint) (crypto.EncryptionPrivateKey, bool)) (*Opened, error) {
	msg, err := DecodeMessage(content)
	if err != nil {
		return nil, err
	}
	p := msg.GetEncrypted()
	if p == nil {
		return nil, malformed("protocol message", "not an encrypted payload")
	}
	var bound Hash
	if len(p.BoundHash) != len(bound) {
		return nil, malformed("encrypted payload", "bound hash of wrong size")
	}
	copy(bound[:], p.BoundHash)
	for _, s := range p.Seeds {
		if s.Recipient != member {
			continue
		}
		priv, ok := key(crypto.Fingerprint(s.KeyFingerprint))
		if !ok {
			return nil, invalidEncryption(crypto.ErrDecryption, "seed sealed to key %s, which %s does not hold", s.KeyFingerprint, member)
		}
		raw, err := crypto.Open(priv, seedInfo(p.Kind, bound), s.Sealed)
		if err != nil || len(raw) != len(crypto.ViewSeed{}) {
			return nil, invalidEncryption(crypto.ErrDecryption, "seed for %s", member)
		}
		seed := crypto.ViewSeed(raw)
		pt, err := crypto.DecryptView(seed, payloadInfo(p.Kind, bound), p.Ciphertext)
		if err != nil {
			return nil, invalidEncryption(err, "payload for %s under its seed", member)
		}
		return &Opened{Kind: p.Kind, BoundHash: bound, Plaintext: pt, Seed: seed, Payload: p, Member: member}, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrNotARecipient, member)
}

// invalidEncryption wraps ErrInvalidEncryption and cause (a crypto.ErrDecryption).
func invalidEncryption(cause error, format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", ErrInvalidEncryption, cause, fmt.Sprintf(format, args...))
}
