package commitments

import (
	"errors"
	"fmt"

	"github.com/cometsync/cometsync/crypto"
	protocolpb "github.com/cometsync/cometsync/proto/protocolpb"
	"github.com/cometsync/cometsync/protocol"
)

// Errors of a received commitment that does not count.
var (
	ErrUndecodable    = errors.New("undecodable ACS commitment")
	ErrWrongSender    = errors.New("ACS commitment names another sender than the one the sequencer attests")
	ErrNotForUs       = errors.New("ACS commitment is for another participant or synchronizer")
	ErrBadSignature   = errors.New("ACS commitment signature does not verify")
	ErrInvalidPeriod  = errors.New("ACS commitment period is empty or negative")
	ErrNotACommitment = errors.New("not an ACS commitment")
)

// Encode signs c (from sender on synchronizer sync) with key and returns the content of
// its envelope: a ProtocolMessage holding the SignedAcsCommitment.
func Encode(key crypto.SigningPrivateKey, sync, sender string, c Commitment) ([]byte, error) {
	body, err := (&protocolpb.AcsCommitment{SynchronizerId: sync, Sender: sender, CounterParticipant: c.Counter,
		PeriodStartMicros: c.Start, PeriodEndMicros: c.End, Commitment: c.Hash}).Marshal()
	if err != nil {
		return nil, err
	}
	signed, err := (&protocolpb.SignedAcsCommitment{Commitment: body, Signature: key.SignHash(crypto.HashBytes(PurposeSignedCommitment, body)),
		SigningKey: string(key.Fingerprint())}).Marshal()
	if err != nil {
		return nil, err
	}
	return (&protocolpb.ProtocolMessage{Message: &protocolpb.ProtocolMessage_AcsCommitment{AcsCommitment: signed}}).Marshal()
}

// Decode checks a received envelope's content: it must be an ACS commitment that sender
// (as the sequencer attests) signed with a key valid at ts, for participant me on
// synchronizer sync. The commitment returned names the sender as Counter.
// ErrNotACommitment means the content is some other protocol message.
func Decode(content []byte, v protocol.Verifier, sync, me, sender string, ts int64) (Commitment, error) {
	msg, err := protocol.DecodeMessage(content)
	if err != nil {
		return Commitment{}, ErrNotACommitment
	}
	raw := msg.GetAcsCommitment()
	if raw == nil {
		return Commitment{}, ErrNotACommitment
	}
	var signed protocolpb.SignedAcsCommitment
	if err := signed.Unmarshal(raw); err != nil {
		return Commitment{}, fmt.Errorf("%w: %v", ErrUndecodable, err)
	}
	var c protocolpb.AcsCommitment
	if err := c.Unmarshal(signed.Commitment); err != nil {
		return Commitment{}, fmt.Errorf("%w: %v", ErrUndecodable, err)
	}
	switch {
	case c.Sender != sender:
		return Commitment{}, fmt.Errorf("%w: names %q, sent by %s", ErrWrongSender, c.Sender, sender)
	case c.CounterParticipant != me || c.SynchronizerId != sync:
		return Commitment{}, fmt.Errorf("%w: for %s on %s", ErrNotForUs, c.CounterParticipant, c.SynchronizerId)
	case c.PeriodEndMicros <= c.PeriodStartMicros || c.PeriodStartMicros < 0:
		return Commitment{}, fmt.Errorf("%w: (%d, %d]", ErrInvalidPeriod, c.PeriodStartMicros, c.PeriodEndMicros)
	}
	if err := v.Verify(sender, signed.SigningKey, ts, crypto.HashBytes(PurposeSignedCommitment, signed.Commitment), signed.Signature); err != nil {
		return Commitment{}, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return Commitment{Counter: sender, Start: c.PeriodStartMicros, End: c.PeriodEndMicros, Hash: c.Commitment}, nil
}
