package mediator

import (
	"github.com/cometsync/cometsync/crypto"
	protocolpb "github.com/cometsync/cometsync/proto/protocolpb"
	seqpb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/protocol"
)

// Intake turns the events of the mediator's stream into core events, as the mediator's
// loop feeds them: a delivery with an informee tree sealed to this mediator becomes a
// RequestEvent (with the batch's root hash messages and the decision timeout in force),
// each confirmation response a ResponseEvent, and any other delivery a TimeEvent.
type Intake struct {
	// Mediator is this mediator's member id.
	Mediator string
	// Decryption returns the encryption private key with a public fingerprint.
	Decryption func(crypto.Fingerprint) (crypto.EncryptionPrivateKey, bool)
	// DecisionTimeout returns the decision timeout (µs) in force at a sequencing time.
	DecisionTimeout func(at int64) int64
}

// Events returns the core events of one stream event. An envelope that does not decode,
// or an informee tree that does not open or check, yields no request (the submitter's
// participants then time out); the event still tells the core the time.
func (in Intake) Events(ev *seqpb.SequencedEvent) []Event {
	if ev.GetKind() != seqpb.EventKind_EVENT_KIND_DELIVER {
		return []Event{TimeEvent{TS: ev.TimestampMicros}}
	}
	var req *RequestEvent
	var rhm []RootHashMessage
	var out []Event
	for _, env := range ev.GetBatch().GetEnvelopes() {
		msg, err := protocol.DecodeMessage(env.Content)
		if err != nil {
			continue
		}
		switch {
		case msg.GetEncrypted().GetKind() == protocolpb.EncryptedPayload_KIND_INFORMEE_TREE:
			if r := in.request(ev, env.Content); r != nil {
				req = r
			}
		case msg.GetRootHash() != nil:
			rhm = append(rhm, RootHashMessage{RootHash: msg.GetRootHash().RootHash, Recipients: protocol.MemberRecipients(env)})
		case msg.GetEncrypted().GetKind() == protocolpb.EncryptedPayload_KIND_CONFIRMATION_RESPONSE:
			op, err := protocol.OpenPayload(env.Content, in.Mediator, in.Decryption)
			if err != nil {
				continue
			}
			if _, _, err := protocol.DecodeSignedResponse(op.Plaintext); err == nil {
				// The sender is the one the sequencer authenticated, not the one the
				// response names: the core checks that they agree.
				out = append(out, ResponseEvent{TS: ev.TimestampMicros, Sender: ev.Sender, Signed: op.Plaintext})
			}
		}
	}
	if req != nil {
		req.RootHashMessages = rhm
		out = append(out, *req)
	}
	if len(out) == 0 {
		out = append(out, TimeEvent{TS: ev.TimestampMicros})
	}
	return out
}

func (in Intake) request(ev *seqpb.SequencedEvent, content []byte) *RequestEvent {
	op, err := protocol.OpenPayload(content, in.Mediator, in.Decryption)
	if err != nil {
		return nil
	}
	it, err := protocol.DecodeInformeeTree(op.Plaintext)
	if err != nil || it.RootHash != op.BoundHash {
		return nil
	}
	b, err := it.MediatorRequest().Marshal()
	if err != nil {
		return nil
	}
	return &RequestEvent{TS: ev.TimestampMicros, Sender: ev.Sender, InformeeTree: b, DecisionTimeout: in.DecisionTimeout(ev.TimestampMicros)}
}
