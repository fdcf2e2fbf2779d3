package protocol

import "github.com/cometsync/cometsync/proto/protocolpb"

// RootHashMessage announces a confirmation request's root hash to one participant and the
// mediator. It is not encrypted: both recipients get the same bytes and can check that.
type RootHashMessage struct {
	RootHash       Hash
	SynchronizerID string
}

// EncodeRootHashMessage returns the canonical encoding of m.
func EncodeRootHashMessage(m RootHashMessage) []byte {
	return mustMarshal(&protocolpb.RootHashMessage{RootHash: clone(m.RootHash[:]), SynchronizerId: m.SynchronizerID})
}

// DecodeRootHashMessage decodes a canonical root hash message.
func DecodeRootHashMessage(b []byte) (RootHashMessage, error) {
	var m protocolpb.RootHashMessage
	if err := unmarshalCanonical(b, &m, "root hash message"); err != nil {
		return RootHashMessage{}, err
	}
	h, err := decodeHash("root hash message", m.RootHash)
	if err != nil {
		return RootHashMessage{}, err
	}
	if m.SynchronizerId == "" {
		return RootHashMessage{}, malformed("root hash message", "empty synchronizer id")
	}
	return RootHashMessage{RootHash: h, SynchronizerID: m.SynchronizerId}, nil
}
