package seqapi

import (
	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// Sequencer pruning: the contract between the members, which sign acknowledgements, and
// the nodes, which answer a subscription below their pruning point.
const (
	// ReasonEventsPruned is the ErrorInfo reason of a FailedPrecondition answering a
	// Subscribe from a counter the node has pruned.
	ReasonEventsPruned = "EVENTS_PRUNED"
	// MetadataEarliestCounter is the ErrorInfo metadata key holding the earliest
	// counter of the member's stream the node still has (decimal).
	MetadataEarliestCounter = "earliest_counter"

	// ReasonBlocksPruned is the ErrorInfo reason of a FailedPrecondition answering a
	// GetLightBlock for a height below the node's block store base (CometBFT dropped it,
	// following the pruning point or min_retain_blocks).
	ReasonBlocksPruned = "BLOCKS_PRUNED"
	// MetadataEarliestHeight is the ErrorInfo metadata key holding the earliest height
	// whose light block the node still serves (decimal).
	MetadataEarliestHeight = "earliest_height"
)

// SignAcknowledgement signs ack with the member's signing key: PurposeAcknowledgement
// over the marshalled Acknowledgement, which names the synchronizer.
func SignAcknowledgement(key crypto.SigningPrivateKey, ack *pb.Acknowledgement) (*pb.SignedAcknowledgement, error) {
	b, err := ack.Marshal()
	if err != nil {
		return nil, err
	}
	return &pb.SignedAcknowledgement{Acknowledgement: b, Signature: key.Sign(crypto.PurposeAcknowledgement, b), SigningKey: string(key.Fingerprint())}, nil
}
