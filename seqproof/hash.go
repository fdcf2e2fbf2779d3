package seqproof

import (
	"crypto/sha256"
	"math/bits"

	"github.com/cometbft/cometbft/crypto/merkle"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// Tags that follow crypto.PurposeStreamProof in each stream hash.
const (
	tagEnvelope uint32 = 1
	tagEvent    uint32 = 2
	tagCounter  uint32 = 3
	tagCounters uint32 = 4
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

// CountersRoot is AppHashInputs.counters_root for a counters tree of total leaves whose
// Merkle root is merkleRoot. It binds the tree's size, so that a proof's leaf index and
// total are the leaf's true position (what an absence proof relies on).
func CountersRoot(merkleRoot []byte, total int) []byte {
	return crypto.NewHasher(crypto.PurposeStreamProof).AddUint32(tagCounters).AddUint64(uint64(total)).AddBytes(merkleRoot).Sum()
}

// CountersRootOf is CountersRoot over the counter leaves, members in byte order.
func CountersRootOf(leaves [][]byte) []byte { return CountersRoot(Root(leaves), len(leaves)) }

// AppHash is the app hash the inputs give.
func AppHash(in *pb.AppHashInputs) []byte {
	h := crypto.NewHasher(crypto.PurposeAppHash).AddInt64(in.Height).AddBytes(in.PrevAppHash).
		AddBytes(in.EventsRoot).AddBytes(in.MembershipRoot).AddBytes(in.CountersRoot)
	// The optional roots are appended only when set, traffic first, and the traffic root
	// (possibly empty, length-prefixed) whenever the acknowledgements root follows, so that
	// no two sets of inputs hash alike.
	if len(in.TrafficRoot) > 0 || len(in.AcksRoot) > 0 {
		h.AddBytes(in.TrafficRoot)
	}
	if len(in.AcksRoot) > 0 {
		h.AddBytes(in.AcksRoot)
	}
	return h.Sum()
}

// MembershipRoot is the membership root of a topology state with hash stateHash under
// genesis members root genesisMembersRoot.
func MembershipRoot(genesisMembersRoot, stateHash []byte) []byte {
	return crypto.NewHasher(crypto.PurposeMembershipRoot).AddBytes(genesisMembersRoot).AddBytes(stateHash).Sum()
}

// leafHash is CometBFT's RFC 6962 leaf hash.
func leafHash(leaf []byte) []byte {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(leaf)
	return h.Sum(nil)
}

func innerHash(left, right []byte) []byte {
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(left)
	h.Write(right)
	return h.Sum(nil)
}

// rootFromAunts is the root of a CometBFT Merkle tree of total leaves whose leaf index
// has hash leaf and the given aunts (from the leaf up), nil when they do not fit.
func rootFromAunts(index, total uint64, leaf []byte, aunts [][]byte) []byte {
	switch {
	case index >= total:
		return nil
	case total == 1:
		if len(aunts) != 0 {
			return nil
		}
		return leaf
	case len(aunts) == 0:
		return nil
	}
	k := uint64(1) << (bits.Len64(total-1) - 1) // the largest power of two below total
	up, rest := aunts[len(aunts)-1], aunts[:len(aunts)-1]
	if index < k {
		if l := rootFromAunts(index, k, leaf, rest); l != nil {
			return innerHash(l, up)
		}
		return nil
	}
	if r := rootFromAunts(index-k, total-k, leaf, rest); r != nil {
		return innerHash(up, r)
	}
	return nil
}
