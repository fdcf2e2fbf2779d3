package driver

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// ErrPruned is what a PrunedError unwraps to: the sequencer nodes pruned the events the
// subscription asked for.
var ErrPruned = errors.New("events pruned by the sequencer")

// PrunedError says that a subscription asked for a counter below the earliest one the
// sequencer nodes still have. Subscribing again from the same counter cannot succeed:
// the member must recover its state from a snapshot taken at or after Earliest, or read
// the events from an archive node that did not prune.
type PrunedError struct {
	// Earliest is the earliest counter of the member's stream still available.
	Earliest int64
	Err      error
}

func (e *PrunedError) Error() string {
	return fmt.Sprintf("%v: earliest available counter %d: %v", ErrPruned, e.Earliest, e.Err)
}

// Is makes errors.Is(err, ErrPruned) hold.
func (e *PrunedError) Is(target error) bool { return target == ErrPruned }

// Unwrap returns the server's status.
func (e *PrunedError) Unwrap() error { return e.Err }

// asPruned returns the PrunedError of a server status with ErrorInfo reason
// seqapi.ReasonEventsPruned, or nil.
func asPruned(err error) *PrunedError {
	earliest, ok := prunedMetadata(err, seqapi.ReasonEventsPruned, seqapi.MetadataEarliestCounter)
	if !ok {
		return nil
	}
	return &PrunedError{Earliest: earliest, Err: err}
}

// prunedMetadata returns the integer metadata key of err's ErrorInfo with reason (-1 when
// it does not parse) and whether err carries one.
func prunedMetadata(err error, reason, key string) (int64, bool) {
	st, ok := status.FromError(err)
	if !ok {
		return 0, false
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.Reason == reason {
			v, perr := strconv.ParseInt(info.Metadata[key], 10, 64)
			if perr != nil {
				v = -1
			}
			return v, true
		}
	}
	return 0, false
}

// BlocksPrunedError is a node's answer for a light block below its block store's base
// (reason seqapi.ReasonBlocksPruned): CometBFT dropped the block, following the
// sequencer's pruning point or min_retain_blocks. It is not a delay: the header will not
// come back.
type BlocksPrunedError struct {
	Endpoint string
	Height   int64
	// Earliest is the earliest height the node still serves.
	Earliest int64
	Err      error
}

func (e *BlocksPrunedError) Error() string {
	return fmt.Sprintf("%s pruned the block of height %d (it serves heights from %d on)", e.Endpoint, e.Height, e.Earliest)
}

// Unwrap returns the server's status.
func (e *BlocksPrunedError) Unwrap() error { return e.Err }

// asBlocksPruned returns the BlocksPrunedError of a GetLightBlock status with ErrorInfo
// reason seqapi.ReasonBlocksPruned, or nil.
func asBlocksPruned(err error, endpoint string, height int64) *BlocksPrunedError {
	earliest, ok := prunedMetadata(err, seqapi.ReasonBlocksPruned, seqapi.MetadataEarliestHeight)
	if !ok || earliest <= height {
		return nil // not a pruned height after all: treated as any other failure
	}
	return &BlocksPrunedError{Endpoint: endpoint, Height: height, Earliest: earliest, Err: err}
}

// classifyPruned is Subscribe's verdict on a pruned answer: another endpoint may not
// have pruned as far, so it fails over; once every endpoint in turn answered so, it
// stops with the PrunedError.
func (s *subscription) classifyPruned(err error, faults *int) (handled, stop bool, final error) {
	pe := asPruned(err)
	if pe == nil {
		return false, false, nil
	}
	*faults++
	s.c.logger.Warn("the sequencer node pruned the requested events", "next", s.next, "earliest", pe.Earliest)
	if *faults >= len(s.c.cfg.Endpoints) {
		return true, true, pe
	}
	return true, false, nil
}

// AcknowledgeEvent tells the chain, signed with the member's signing key, that the
// member has durably processed its stream up to and including event counter, sequenced
// at timestampMicros. The sequencer nodes may then prune it. The node submits it as an
// acknowledgement transaction; a refusal (not forward, beyond the stream) comes back as
// the node's status.
func (c *Client) AcknowledgeEvent(ctx context.Context, counter, timestampMicros int64) error {
	ack := &pb.Acknowledgement{Member: c.cfg.Member, Counter: counter, TimestampMicros: timestampMicros, SynchronizerId: c.SynchronizerID()}
	sa, err := seqapi.SignAcknowledgement(c.cfg.SigningKey, ack)
	if err != nil {
		return err
	}
	signed, err := sa.Marshal()
	if err != nil {
		return err
	}
	return c.call(ctx, func(ctx context.Context, e *endpoint) error {
		_, err := e.seq.Acknowledge(ctx, &pb.AcknowledgeRequest{Member: c.cfg.Member, TimestampMicros: timestampMicros, SignedAcknowledgement: signed})
		return err
	})
}
