package ledgerapi

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/cometsync/cometsync/ledger"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// Completion is the outcome of a command submitted with a command id, as the backend
// records it.
type Completion struct {
	Offset       int64
	UserID       string
	CommandID    string
	ActAs        []string
	RequestID    int64
	Committed    bool
	TimedOut     bool
	Reason       string
	UpdateOffset int64
}

type submissionService struct{ s *Server }

// Submit decodes the command, checks CanActAs and submits it under its command id,
// returning once the sequencer took it.
func (c submissionService) Submit(ctx context.Context, req *pb.SubmitRequest) (*pb.SubmitResponse, error) {
	if req.CommandId == "" {
		if _, err := callerOf(ctx); err != nil {
			return nil, statusOf(err)
		}
		return nil, statusOf(withMeta(fmt.Errorf("%w: command_id is required: the outcome comes as its completion", ErrInvalidArgument), MetaField, "command_id"))
	}
	who, cmd, err := c.s.command(ctx, req.CommandJson)
	var disclosed []ledger.DisclosedContract
	if err == nil {
		disclosed, err = decodeDisclosed(req.DisclosedContracts)
	}
	if err == nil {
		err = c.s.backend.SubmitAsync(ctx, cmd, SubmitOptions{User: who.user.ID, CommandID: req.CommandId, Disclosed: disclosed})
	}
	if err != nil {
		return nil, statusOf(withMeta(err, MetaCommandID, req.CommandId))
	}
	return &pb.SubmitResponse{}, nil
}

type completionService struct{ s *Server }

// CompletionStream streams the completions of the caller's commands (every user's for a
// participant admin) from begin_offset, following new ones until the client cancels.
func (c completionService) CompletionStream(req *pb.CompletionStreamRequest, stream pb.CommandCompletionService_CompletionStreamServer) error {
	ctx := stream.Context()
	who, err := callerOf(ctx)
	if err != nil {
		return statusOf(err)
	}
	if req.BeginOffset < 0 {
		return statusOf(withMeta(fmt.Errorf("%w: begin_offset %d is negative (offsets start at 1)", ErrInvalidArgument, req.BeginOffset),
			MetaField, "begin_offset", MetaOffset, strconv.FormatInt(req.BeginOffset, 10)))
	}
	next := max(req.BeginOffset, 1)
	for {
		cs, err := c.s.backend.CompletionsFrom(ctx, next)
		if err == nil && len(cs) == 0 {
			if err = ctx.Err(); err == nil {
				err = errors.New("backend returned no completions without waiting")
			}
		}
		if err != nil {
			return statusOf(err)
		}
		for _, cp := range cs {
			if cp.Offset < next {
				continue
			}
			next = cp.Offset + 1
			if cp.UserID != who.user.ID && !who.admin() {
				continue
			}
			if err := stream.Send(completionPB(cp)); err != nil {
				return err
			}
		}
	}
}

func completionPB(c Completion) *pb.Completion {
	out := &pb.Completion{Offset: c.Offset, CommandId: c.CommandID, ActAs: c.ActAs, Reason: c.Reason,
		UpdateOffset: c.UpdateOffset, RequestIdMicros: c.RequestID, UserId: c.UserID, Status: pb.CompletionStatus_COMPLETION_STATUS_REJECTED}
	switch {
	case c.Committed:
		out.Status = pb.CompletionStatus_COMPLETION_STATUS_COMMITTED
	case c.TimedOut:
		out.Status = pb.CompletionStatus_COMPLETION_STATUS_TIMED_OUT
	}
	return out
}
