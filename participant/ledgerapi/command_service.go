package ledgerapi

import (
	"context"
	"fmt"
	"slices"

	"github.com/cometsync/cometsync/ledger"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

type commandService struct{ s *Server }

// SubmitAndWait decodes the command, checks CanActAs for each of its actAs parties and
// waits for the transaction's outcome at this participant. Every error carries the
// command id (when set) in its ErrorInfo metadata.
func (c commandService) SubmitAndWait(ctx context.Context, req *pb.SubmitAndWaitRequest) (*pb.SubmitAndWaitResponse, error) {
	who, cmd, err := c.s.command(ctx, req.CommandJson)
	if err != nil {
		return nil, statusOf(withMeta(err, MetaCommandID, req.CommandId))
	}
	disclosed, err := decodeDisclosed(req.DisclosedContracts)
	if err != nil {
		return nil, statusOf(withMeta(err, MetaCommandID, req.CommandId))
	}
	u, err := c.s.backend.Submit(ctx, cmd, SubmitOptions{User: who.user.ID, CommandID: req.CommandId, Disclosed: disclosed})
	if err != nil {
		c.s.logger.Debug("submission failed", "user", who.user.ID, "err", err)
		return nil, statusOf(withMeta(err, MetaCommandID, req.CommandId))
	}
	c.s.logger.Debug("submission committed", "user", who.user.ID, "offset", u.Offset)
	return &pb.SubmitAndWaitResponse{Offset: u.Offset, RequestIdMicros: u.RequestID}, nil
}

// command decodes a command of the caller: malformed JSON is ledger.ErrInvalidCommand
// (or the ledger's more specific sentinel), an actAs party the caller lacks CanActAs
// for ErrPermissionDenied, and one this participant does not host ErrPartyNotKnown.
func (s *Server) command(ctx context.Context, commandJSON string) (*caller, ledger.Command, error) {
	who, err := callerOf(ctx)
	if err != nil {
		return nil, ledger.Command{}, err
	}
	cmd, err := ledger.DecodeCommand(s.backend.Packages(), []byte(commandJSON))
	if err != nil {
		return nil, ledger.Command{}, invalidCommand(err)
	}
	if err := who.requireActAs(cmd.ActAs); err != nil {
		return nil, ledger.Command{}, err
	}
	hosted := s.backend.HostedParties()
	for _, p := range cmd.ActAs {
		if !slices.Contains(hosted, p) {
			return nil, ledger.Command{}, withMeta(fmt.Errorf("%w: actAs party %s is not hosted on this participant", ErrPartyNotKnown, p), MetaParty, string(p))
		}
	}
	return who, cmd, nil
}

// invalidCommand makes a decoding error InvalidArgument: it keeps the error when its
// sentinel already is, and wraps it in ledger.ErrInvalidCommand otherwise.
func invalidCommand(err error) error {
	if codeOf(err) == codeOf(ledger.ErrInvalidCommand) {
		return err
	}
	return fmt.Errorf("%w: %v", ledger.ErrInvalidCommand, err)
}

// decodeDisclosed decodes and verifies the disclosed contracts of a request; a blob that
// does not decode, or whose contract id does not match its content, is InvalidArgument
// naming its index (and the contract).
func decodeDisclosed(ms []*pb.DisclosedContract) ([]ledger.DisclosedContract, error) {
	out := make([]ledger.DisclosedContract, 0, len(ms))
	for i, m := range ms {
		d, err := ledger.DecodeCreatedEventBlob(m.GetCreatedEventBlob())
		if err != nil {
			return nil, withMeta(fmt.Errorf("%w: disclosed_contracts[%d]: %v", ErrInvalidArgument, i, err), MetaField, fmt.Sprintf("disclosed_contracts[%d]", i))
		}
		out = append(out, d)
	}
	return out, nil
}
