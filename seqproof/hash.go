package seqproof

import (
	"crypto/sha256"

	"github.com/cometbft/cometbft/crypto/merkle"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// Tags that follow crypto.PurposeStreamProof in each stream hash.
const (
	tagEnvelope uint32 = 1
	tagEvent    uint32 = 2
	tagCounter  uint32 = 3
)

// EventHeader is what an event leaf commits to besides the envelopes: the fields of a
// SequencedEvent other than its batch.
type EventHeader struct {
	Counter         int64
	TimestampMicros int64
	Height          int64
	Kind            pb.EventKind
	MessageID       string
	Sender          string
	ErrorCode       pb.ErrorCode
	ErrorReason     string
}

// HeaderOf returns the header fields of ev.
func HeaderOf(ev *pb.SequencedEvent) EventHeader {
	return EventHeader{
		Counter: ev.Counter, TimestampMicros: ev.TimestampMicros, Height: ev.Height, Kind: ev.Kind,
		MessageID: ev.MessageId, Sender: ev.Sender, ErrorCode: ev.ErrorCode, ErrorReason: ev.ErrorReason,
	}
}

// EnvelopeHash is the hash of one envelope, over its marshalled bytes.
func EnvelopeHash(marshalled []byte) []byte {
	return crypto.NewHasher(crypto.PurposeStreamProof).AddUint32(tagEnvelope).AddBytes(marshalled).Sum()
}

// EnvelopeHashTo is EnvelopeHash reusing h.
func EnvelopeHashTo(h *crypto.Hasher, marshalled []byte) []byte {
	return h.Reset(crypto.PurposeStreamProof).AddUint32(tagEnvelope).AddBytes(marshalled).Sum()
}

// EventLeaf is the leaf of ev in its block's events tree, for member's stream. It is nil
// (a leaf no proof matches) only when an envelope of ev cannot be marshalled.
func EventLeaf(member string, ev *pb.SequencedEvent) []byte {
	var envs []*pb.Envelope
	if ev.Batch != nil {
		envs = ev.Batch.Envelopes
	}
	hashes := make([][]byte, len(envs))
	for i, e := range envs {
		b, err := e.Marshal()
		if err != nil {
			return nil
		}
		hashes[i] = EnvelopeHash(b)
	}
	return EventLeafFromHashes(nil, member, HeaderOf(ev), hashes)
}

// EventLeafFromHashes is EventLeaf from the event's header and the EnvelopeHash of each
// envelope delivered to member, in order. h, when not nil, is reused (the core hashes many
// leaves per block).
func EventLeafFromHashes(h *crypto.Hasher, member string, e EventHeader, envelopeHashes [][]byte) []byte {
	if h == nil {
		h = crypto.NewHasher(crypto.PurposeStreamProof)
	} else {
		h.Reset(crypto.PurposeStreamProof)
	}
	h.AddUint32(tagEvent).AddString(member).AddInt64(e.Counter).AddInt64(e.TimestampMicros).
		AddInt64(e.Height).AddUint32(uint32(e.Kind)).AddString(e.MessageID).AddString(e.Sender).
		AddUint32(uint32(e.ErrorCode)).AddString(e.ErrorReason).AddUint32(uint32(len(envelopeHashes)))
	for _, eh := range envelopeHashes {
		h.AddBytes(eh)
	}
	return h.Sum()
}

// CounterLeaf is member's leaf in the counters tree: its next counter after the block.
func CounterLeaf(member string, next int64) []byte {
	return crypto.NewHasher(crypto.PurposeStreamProof).AddUint32(tagCounter).AddString(member).AddInt64(next).Sum()
}

// CounterLeafTo is CounterLeaf reusing h.
func CounterLeafTo(h *crypto.Hasher, member string, next int64) []byte {
	return h.Reset(crypto.PurposeStreamProof).AddUint32(tagCounter).AddString(member).AddInt64(next).Sum()
}

// Root is the Merkle root over leaves (CometBFT's crypto/merkle tree).
func Root(leaves [][]byte) []byte { return merkle.HashFromByteSlices(leaves) }

// AppHash is the app hash the inputs give.
func AppHash(in *pb.AppHashInputs) []byte {
	h := crypto.NewHasher(crypto.PurposeAppHash).AddInt64(in.Height).AddBytes(in.PrevAppHash).
		AddBytes(in.EventsRoot).AddBytes(in.MembershipRoot).AddBytes(in.CountersRoot)
	if len(in.TrafficRoot) > 0 {
		h.AddBytes(in.TrafficRoot)
	}
	return h.Sum()
}

// MembershipRoot is the membership root of a topology state with hash stateHash under
// genesis members root genesisMembersRoot.
func MembershipRoot(genesisMembersRoot, stateHash []byte) []byte {
	return crypto.NewHasher(crypto.PurposeMembershipRoot).AddBytes(genesisMembersRoot).AddBytes(stateHash).Sum()
}

// leafHash is CometBFT's RFC 6962 leaf hash, which merkle.Proof carries.
func leafHash(leaf []byte) []byte {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(leaf)
	return h.Sum(nil)
}
