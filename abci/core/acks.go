package core

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// Acknowledgements. A member signs an Acknowledgement ("my stream is durably processed
// up to event counter c, sequenced at t, on synchronizer s") with its signing key under
// crypto.PurposeAcknowledgement, and its node submits it to the chain as a transaction
// of its own kind: AckTxTag followed by the SignedAcknowledgement. The tag starts with
// 0x00, which no SignedSubmission starts with (protobuf field number 0 does not exist),
// so the two kinds never overlap.
//
// Execute accepts an acknowledgement only when it names this synchronizer and a current
// member, verifies under the member's named current signing key, moves the member's
// acknowledged counter and timestamp forward (counter strictly, timestamp not backwards),
// names an event the member's stream holds (counter below its next counter), and is the
// member's first acknowledgement in the block; otherwise the transaction result carries
// the specific reason. Accepted acknowledgements take no sequencing time and produce no
// event; the latest per member is stored under 'K' member and the block's changed ones
// are committed to in the app hash (a Merkle root, like traffic; a block without one
// hashes as before).

// AckTxTag starts every acknowledgement transaction.
var AckTxTag = []byte{0, 'A', 'C', 'K'}

// IsAckTx reports whether tx is an acknowledgement transaction.
func IsAckTx(tx []byte) bool { return bytes.HasPrefix(tx, AckTxTag) }

// EncodeAckTx returns the chain transaction of a signed acknowledgement.
func EncodeAckTx(s *pb.SignedAcknowledgement) []byte {
	return append(append([]byte{}, AckTxTag...), mustMarshal(s)...)
}

// DecodedAck is an acknowledgement transaction decoded.
type DecodedAck struct {
	Signed *pb.SignedAcknowledgement
	Ack    *pb.Acknowledgement
}

// DecodeAckTx decodes an acknowledgement transaction.
func DecodeAckTx(tx []byte) (*DecodedAck, *SubmissionError) {
	if !IsAckTx(tx) {
		return nil, reject(seqapi.CodeMalformed, "not an acknowledgement transaction")
	}
	var s pb.SignedAcknowledgement
	if err := s.Unmarshal(tx[len(AckTxTag):]); err != nil {
		return nil, reject(seqapi.CodeMalformed, "not a SignedAcknowledgement: %v", err)
	}
	var a pb.Acknowledgement
	if err := a.Unmarshal(s.Acknowledgement); err != nil {
		return nil, reject(seqapi.CodeMalformed, "acknowledgement is not an Acknowledgement: %v", err)
	}
	if _, err := crypto.ParseMember(a.Member); err != nil {
		return nil, reject(seqapi.CodeMalformed, "acknowledgement member: %v", err)
	}
	if a.Counter < 0 || a.TimestampMicros < 0 {
		return nil, reject(seqapi.CodeMalformed, "acknowledgement of counter %d at %d: negative", a.Counter, a.TimestampMicros)
	}
	return &DecodedAck{Signed: &s, Ack: &a}, nil
}

// KeyAck is the key of member's latest accepted acknowledgement.
func KeyAck(member string) []byte { return append([]byte{tagAck}, member...) }

// ReadAck returns member's latest accepted acknowledgement (nil: none).
func ReadAck(get func([]byte) ([]byte, error), member string) (*pb.StoredAcknowledgement, error) {
	b, err := get(KeyAck(member))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st pb.StoredAcknowledgement
	if err := st.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("stored acknowledgement of %s: %w", member, err)
	}
	return &st, nil
}

// MemberAck is one member's latest acknowledgement.
type MemberAck struct {
	Member string
	Ack    *pb.StoredAcknowledgement
}

// ReadAcks returns every member's latest acknowledgement, in member order.
func ReadAcks(r Reader) ([]MemberAck, error) {
	var out []MemberAck
	err := r.Iterate([]byte{tagAck}, nil, func(key, value []byte) (bool, error) {
		var st pb.StoredAcknowledgement
		if err := st.Unmarshal(value); err != nil {
			return false, fmt.Errorf("stored acknowledgement %q: %w", key[1:], err)
		}
		out = append(out, MemberAck{Member: string(key[1:]), Ack: &st})
		return true, nil
	})
	return out, err
}

// checkAck runs every check of an acknowledgement against membership mem and the
// member's previous acknowledgement prev (nil: none) and next counter next.
func (m *Machine) checkAck(d *DecodedAck, mem Membership, prev *pb.StoredAcknowledgement, next int64) *SubmissionError {
	a := d.Ack
	if a.SynchronizerId != m.genesis.SynchronizerID {
		return reject(seqapi.CodeInvalidBatch, "acknowledgement for synchronizer %q, this is %s", a.SynchronizerId, m.genesis.SynchronizerID)
	}
	if !mem.IsMember(a.Member) {
		return reject(seqapi.CodeUnknownSender, "acknowledgement of %s: not a member of this synchronizer", a.Member)
	}
	key, ok := mem.SigningKey(a.Member, crypto.Fingerprint(d.Signed.SigningKey))
	if !ok {
		return reject(seqapi.CodeUnknownKey, "acknowledgement of %s: key %q is not a current signing key of %s", a.Member, d.Signed.SigningKey, a.Member)
	}
	if err := key.VerifyZIP215(crypto.PurposeAcknowledgement, d.Signed.Acknowledgement, d.Signed.Signature); err != nil {
		return reject(seqapi.CodeBadSignature, "acknowledgement of %s: bad signature: %v", a.Member, err)
	}
	if a.Counter >= next {
		return reject(seqapi.CodeInvalidBatch, "acknowledgement of %s: counter %d is beyond its stream (next counter %d)", a.Member, a.Counter, next)
	}
	if prev != nil && (a.Counter <= prev.Counter || a.TimestampMicros < prev.TimestampMicros) {
		return reject(seqapi.CodeInvalidBatch, "acknowledgement of %s: counter %d at %d does not move forward from the acknowledged counter %d at %d",
			a.Member, a.Counter, a.TimestampMicros, prev.Counter, prev.TimestampMicros)
	}
	return nil
}

// CheckAck is CheckTx's verdict on an acknowledgement transaction against committed
// state: nil, a *SubmissionError, or an error reading state.
func (m *Machine) CheckAck(r Reader, tx []byte) error {
	d, rej := DecodeAckTx(tx)
	if rej != nil {
		return rej
	}
	prev, err := ReadAck(r.Get, d.Ack.Member)
	if err != nil {
		return err
	}
	next, err := readNextCounter(r.Get, d.Ack.Member)
	if err != nil {
		return err
	}
	if rej := m.checkAck(d, m.Membership(), prev, next); rej != nil {
		return rej
	}
	return nil
}

func readNextCounter(get func([]byte) ([]byte, error), member string) (int64, error) {
	b, err := get(KeyCounter(member))
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var c pb.MemberCounter
	if err := c.Unmarshal(b); err != nil {
		return 0, fmt.Errorf("stored counter of %s: %w", member, err)
	}
	return c.Next, nil
}

// applyAck executes an acknowledgement transaction in the block at height.
func (x *execution) applyAck(tx []byte, height int64) (TxResult, error) {
	d, rej := DecodeAckTx(tx)
	if rej != nil {
		return TxResult{Code: rej.Code, Log: rej.Reason}, nil
	}
	member := d.Ack.Member
	res := TxResult{Sender: member}
	if _, ok := x.acks[member]; ok {
		res.Code, res.Log = seqapi.CodeDuplicate, fmt.Sprintf("acknowledgement of %s: one per member per block, this block has one already", member)
		return res, nil
	}
	prev, err := ReadAck(x.ov.get, member)
	if err != nil {
		return res, err
	}
	next, err := x.nextCounter(member)
	if err != nil {
		return res, err
	}
	if rej := x.m.checkAck(d, x.mem, prev, next); rej != nil {
		res.Code, res.Log = rej.Code, rej.Reason
		return res, nil
	}
	if x.acks == nil {
		x.acks = make(map[string]*pb.StoredAcknowledgement)
	}
	x.acks[member] = &pb.StoredAcknowledgement{Counter: d.Ack.Counter, TimestampMicros: d.Ack.TimestampMicros, Height: height}
	return res, nil
}

// writeAcks stores the acknowledgements the block accepted and returns the root
// committing to them (nil when none).
func (x *execution) writeAcks() []byte { return writeMemberRecords(x, "ack", x.acks, KeyAck) }
