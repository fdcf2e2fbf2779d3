package protocol

import (
	"bytes"
	"errors"
	"testing"

	pb "github.com/cometsync/cometsync/proto/protocolpb"
)

func TestProtocolMessageFraming(t *testing.T) {
	rh := EncodeRootHashMessage(RootHashMessage{RootHash: Hash{1, 2, 3}, SynchronizerID: syncID})
	wrapped, err := WrapRootHash(rh)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		bytes []byte
		check func(*pb.ProtocolMessage) bool
	}{
		{"root hash", wrapped, func(m *pb.ProtocolMessage) bool { return m.GetRootHash().GetSynchronizerId() == syncID }},
		{"encrypted", WrapEncrypted(&pb.EncryptedPayload{Kind: pb.EncryptedPayload_KIND_VIEW, Ciphertext: []byte("x")}),
			func(m *pb.ProtocolMessage) bool { return string(m.GetEncrypted().GetCiphertext()) == "x" }},
		{"response", WrapConfirmationResponse([]byte("resp")), func(m *pb.ProtocolMessage) bool { return bytes.Equal(m.GetConfirmationResponse(), []byte("resp")) }},
		{"result", WrapTransactionResult([]byte("res")), func(m *pb.ProtocolMessage) bool { return bytes.Equal(m.GetTransactionResult(), []byte("res")) }},
	}
	for _, tc := range cases {
		m, err := DecodeMessage(tc.bytes)
		if err != nil || !tc.check(m) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	for name, b := range map[string][]byte{"empty": nil, "garbage": {0xff, 0xff, 0xff}} {
		if _, err := DecodeMessage(b); !errors.Is(err, ErrMalformedTree) {
			t.Errorf("%s: %v, want malformed", name, err)
		}
	}
	if _, err := WrapRootHash([]byte{0xff}); err == nil {
		t.Error("wrapping a malformed root hash message succeeded")
	}
}
