package protocol

import (
	pb "github.com/cometsync/cometsync/proto/protocolpb"
	seqpb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// Envelope contents of the transaction protocol are ProtocolMessages, so that a
// recipient knows what it got without guessing from the bytes.

// WrapEncrypted frames an encrypted payload.
func WrapEncrypted(p *pb.EncryptedPayload) []byte {
	return mustMarshal(&pb.ProtocolMessage{Message: &pb.ProtocolMessage_Encrypted{Encrypted: p}})
}

// WrapRootHash frames a root hash message encoded by EncodeRootHashMessage.
func WrapRootHash(encoded []byte) ([]byte, error) {
	var m pb.RootHashMessage
	if err := unmarshalCanonical(encoded, &m, "root hash message"); err != nil {
		return nil, err
	}
	return mustMarshal(&pb.ProtocolMessage{Message: &pb.ProtocolMessage_RootHash{RootHash: &m}}), nil
}

// WrapConfirmationResponse frames a participant's signed confirmation response.
func WrapConfirmationResponse(signed []byte) []byte {
	return mustMarshal(&pb.ProtocolMessage{Message: &pb.ProtocolMessage_ConfirmationResponse{ConfirmationResponse: signed}})
}

// WrapTransactionResult frames the mediator's signed verdict.
func WrapTransactionResult(signed []byte) []byte {
	return mustMarshal(&pb.ProtocolMessage{Message: &pb.ProtocolMessage_TransactionResult{TransactionResult: signed}})
}

// DecodeMessage decodes an envelope's content; exactly one kind of message must be set.
func DecodeMessage(b []byte) (*pb.ProtocolMessage, error) {
	var m pb.ProtocolMessage
	if err := m.Unmarshal(b); err != nil {
		return nil, malformed("protocol message", "%v", err)
	}
	if m.Message == nil {
		return nil, malformed("protocol message", "empty")
	}
	return &m, nil
}

// MemberRecipients lists the member recipients an envelope names (groups left out).
func MemberRecipients(env *seqpb.Envelope) []string {
	var out []string
	for _, r := range env.GetRecipients() {
		if r.Member != "" {
			out = append(out, r.Member)
		}
	}
	return out
}
