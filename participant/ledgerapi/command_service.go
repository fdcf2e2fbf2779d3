package ledgerapi

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/ledger"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

type commandService struct{ s *Server }

// SubmitAndWait decodes the command, checks CanActAs for each of its actAs parties and
// waits for the transaction's outcome at this participant.
func (c commandService) SubmitAndWait(ctx context.Context, req *pb.SubmitAndWaitRequest) (*pb.SubmitAndWaitResponse, error) {
	who, err := callerOf(ctx)
	if err != nil {
		return nil, statusOf(err)
	}
	cmd, err := ledger.DecodeCommand(c.s.backend.Packages(), []byte(req.CommandJson))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if err := who.requireActAs(cmd.ActAs); err != nil {
		return nil, statusOf(err)
	}
	u, err := c.s.backend.Submit(ctx, cmd, SubmitOptions{User: who.user.ID, CommandID: req.CommandId})
	if err != nil {
		c.s.logger.Debug("submission failed", "user", who.user.ID, "err", err)
		return nil, statusOf(err)
	}
	c.s.logger.Debug("submission committed", "user", who.user.ID, "offset", u.Offset)
	return &pb.SubmitAndWaitResponse{Offset: u.Offset, RequestIdMicros: u.RequestID}, nil
}
