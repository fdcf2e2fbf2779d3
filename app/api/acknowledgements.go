package api

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"sync"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/abci/core"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// ackStore keeps the highest acknowledged timestamp of each member (for pruning).
type ackStore struct {
	mu   sync.Mutex
	acks map[string]int64
}

func newAckStore() *ackStore { return &ackStore{acks: make(map[string]int64)} }

// record keeps the maximum: acknowledgements never move backwards.
func (a *ackStore) record(member string, ts int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if cur, ok := a.acks[member]; !ok || ts > cur {
		a.acks[member] = ts
	}
}

// Acknowledged returns the highest timestamp member acknowledged on this server.
func (s *Server) Acknowledged(member string) (int64, bool) {
	s.acks.mu.Lock()
	defer s.acks.mu.Unlock()
	ts, ok := s.acks.acks[member]
	return ts, ok
}

// Acknowledgements returns a copy of every member's highest acknowledged timestamp. The
// minimum over all members bounds what a pruning node may delete.
func (s *Server) Acknowledgements() map[string]int64 {
	s.acks.mu.Lock()
	defer s.acks.mu.Unlock()
	return maps.Clone(s.acks.acks)
}

// submitAck submits member's signed acknowledgement to the chain as an acknowledgement
// transaction. CheckTx refuses a bad one (forged, another member's, backwards, beyond
// the stream) with its reason, which the caller gets as the status.
func (s *Server) submitAck(ctx context.Context, member string, signed []byte) error {
	var sa pb.SignedAcknowledgement
	if err := sa.Unmarshal(signed); err != nil {
		return status.Errorf(codes.InvalidArgument, "signed acknowledgement: %v", err)
	}
	var a pb.Acknowledgement
	if err := a.Unmarshal(sa.Acknowledgement); err != nil {
		return status.Errorf(codes.InvalidArgument, "acknowledgement: %v", err)
	}
	if a.Member != member {
		return status.Errorf(codes.PermissionDenied, "member %s may not acknowledge for %s", member, a.Member)
	}
	tx := core.EncodeAckTx(&sa)
	err := s.backend.Submit(ctx, tx, nil)
	if err == nil {
		return nil
	}
	if se, ok := asSubmissionError(err); ok {
		return submissionStatus(se)
	}
	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}
	return status.Errorf(codes.Unavailable, "submit acknowledgement: %v", err)
}

// checkPruned refuses a subscription of member from a counter below the earliest one
// this node still has: FailedPrecondition with ErrorInfo reason EVENTS_PRUNED and the
// earliest counter in its metadata.
func (s *Server) checkPruned(member string, from int64) error {
	r, release := s.backend.Snapshot()
	defer release()
	earliest, err := core.EarliestCounter(r, member)
	if err != nil {
		return status.Errorf(codes.Internal, "read the pruning point: %v", err)
	}
	if from >= earliest {
		return nil
	}
	st := status.New(codes.FailedPrecondition, fmt.Sprintf(
		"events of %s before counter %d were pruned by this node (asked from %d): the earliest available counter is %d; "+
			"recover the member from a snapshot taken at or after counter %d, or read the earlier events from an archive node that did not prune",
		member, earliest, from, earliest, earliest))
	if d, err := st.WithDetails(&errdetails.ErrorInfo{Domain: seqapi.Codespace, Reason: seqapi.ReasonEventsPruned,
		Metadata: map[string]string{seqapi.MetadataEarliestCounter: strconv.FormatInt(earliest, 10)}}); err == nil {
		st = d
	}
	return st.Err()
}
