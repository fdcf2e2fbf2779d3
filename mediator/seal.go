package mediator

import (
	"fmt"

	protocolpb "github.com/cometsync/cometsync/proto/protocolpb"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/protocol"
)

// SealResult seals a signed verdict to its recipients (the informee participants) under
// the request's root hash.
func SealResult(r Result, signed []byte, keys protocol.EncryptionKeys) (*pb.Envelope, error) {
	var root protocol.Hash
	copy(root[:], r.Result.RootHash)
	var rcpts []*pb.Recipient
	for _, rc := range r.Recipients {
		rcpts = append(rcpts, &pb.Recipient{Member: rc})
	}
	env, err := protocol.Seal(protocolpb.EncryptedPayload_KIND_TRANSACTION_RESULT, root, signed, r.Recipients, keys, rcpts)
	if err != nil {
		return nil, fmt.Errorf("seal verdict %s: %w", r.MessageID(), err)
	}
	return env, nil
}
