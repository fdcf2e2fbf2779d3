package topology

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"slices"
	"strings"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
)

// MaxSignatures bounds the signatures of one signed transaction.
const MaxSignatures = 64

// Signature is one signature over a transaction hash (purpose 11).
type Signature struct {
	Key crypto.Fingerprint
	Sig []byte
}

// SignedTransaction is a decoded SignedTopologyTransaction: a valid transaction and
// well-formed signatures sorted by key fingerprint, one per key. The signatures are not
// verified yet; State.Apply verifies them against the keys it knows.
type SignedTransaction struct {
	Tx         *Transaction
	Signatures []Signature
	Proposal   bool
}

// Sign signs tx with every key. With proposal set, State.Apply stores the transaction
// as a proposal while the signatures do not authorize it yet.
func Sign(tx *Transaction, proposal bool, keys ...crypto.SigningPrivateKey) *SignedTransaction {
	s := &SignedTransaction{Tx: tx, Proposal: proposal}
	return s.AddSignatures(keys...)
}

// SignatureOver returns key's signature over a transaction hash.
func SignatureOver(txHash []byte, key crypto.SigningPrivateKey) Signature {
	return Signature{Key: key.Fingerprint(), Sig: key.Sign(crypto.PurposeTopologySignature, txHash)}
}

// AddSignatures returns a copy of s with the signatures of keys added (a key that already
// signed is skipped).
func (s *SignedTransaction) AddSignatures(keys ...crypto.SigningPrivateKey) *SignedTransaction {
	out := &SignedTransaction{Tx: s.Tx, Proposal: s.Proposal, Signatures: slices.Clone(s.Signatures)}
	for _, k := range keys {
		out.Signatures = mergeSignatures(out.Signatures, []Signature{SignatureOver(s.Tx.hash, k)})
	}
	return out
}

// mergeSignatures returns the union of a and b sorted by key; for a key in both, a wins.
func mergeSignatures(a, b []Signature) []Signature {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.ContainsFunc(out, func(x Signature) bool { return x.Key == s.Key }) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(x, y Signature) int { return strings.Compare(string(x.Key), string(y.Key)) })
	return out
}

// Proto returns the wire form with the canonical transaction bytes.
func (s *SignedTransaction) Proto() *pb.SignedTopologyTransaction {
	p := &pb.SignedTopologyTransaction{Transaction: s.Tx.Bytes(), Proposal: s.Proposal}
	for _, sig := range s.Signatures {
		p.Signatures = append(p.Signatures, &pb.Signature{KeyFingerprint: string(sig.Key), Signature: bytes.Clone(sig.Sig)})
	}
	return p
}

// Marshal returns the canonical wire bytes.
func (s *SignedTransaction) Marshal() []byte {
	b, err := s.Proto().Marshal()
	if err != nil {
		panic(fmt.Sprintf("topology: encoding a signed transaction: %v", err))
	}
	return b
}

// DecodeSignedTransaction decodes and checks a serialized SignedTopologyTransaction.
// Errors wrap ErrMalformed, ErrInvalidMapping or ErrInvalidSignature.
func DecodeSignedTransaction(b []byte) (*SignedTransaction, error) {
	if len(b) > MaxTransactionSize {
		return nil, fmt.Errorf("%w: %d bytes exceed %d", ErrMalformed, len(b), MaxTransactionSize)
	}
	p := new(pb.SignedTopologyTransaction)
	if err := p.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return FromProto(p)
}

// FromProto checks a SignedTopologyTransaction message.
func FromProto(p *pb.SignedTopologyTransaction) (*SignedTransaction, error) {
	tx, err := DecodeTransaction(p.GetTransaction())
	if err != nil {
		return nil, err
	}
	sigs, err := decodeSignatures(p.GetSignatures())
	if err != nil {
		return nil, err
	}
	return &SignedTransaction{Tx: tx, Signatures: sigs, Proposal: p.GetProposal()}, nil
}

func decodeSignatures(ps []*pb.Signature) ([]Signature, error) {
	if len(ps) == 0 {
		return nil, &SignatureError{Reason: "no signatures"}
	}
	if len(ps) > MaxSignatures {
		return nil, &SignatureError{Reason: fmt.Sprintf("%d signatures exceed %d", len(ps), MaxSignatures)}
	}
	out := make([]Signature, 0, len(ps))
	for _, p := range ps {
		fp, err := crypto.ParseFingerprint(p.GetKeyFingerprint())
		if err != nil {
			return nil, &SignatureError{Key: crypto.Fingerprint(p.GetKeyFingerprint()), Reason: err.Error()}
		}
		if len(p.GetSignature()) != ed25519.SignatureSize {
			return nil, &SignatureError{Key: fp, Reason: fmt.Sprintf("%d bytes, want %d", len(p.GetSignature()), ed25519.SignatureSize)}
		}
		out = append(out, Signature{Key: fp, Sig: bytes.Clone(p.GetSignature())})
	}
	slices.SortFunc(out, func(x, y Signature) int { return strings.Compare(string(x.Key), string(y.Key)) })
	for i := 1; i < len(out); i++ {
		if out[i].Key == out[i-1].Key {
			return nil, &SignatureError{Key: out[i].Key, Reason: "signed twice"}
		}
	}
	return out, nil
}

// SignedBy returns the fingerprints of the signing keys, sorted.
func (s *SignedTransaction) SignedBy() []crypto.Fingerprint {
	out := make([]crypto.Fingerprint, len(s.Signatures))
	for i, sig := range s.Signatures {
		out[i] = sig.Key
	}
	return out
}
