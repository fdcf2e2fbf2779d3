package ledgerapi

import (
	"errors"
	"fmt"
	"strconv"

	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

type updateService struct{ s *Server }

// GetUpdates streams the updates from begin_offset (1 when 0) that the caller may see,
// reduced to the contracts it may see, and follows new ones until the client cancels, or
// returns once end_offset (when set) is passed.
func (us updateService) GetUpdates(req *pb.GetUpdatesRequest, stream pb.UpdateService_GetUpdatesServer) error {
	ctx := stream.Context()
	who, err := callerOf(ctx)
	if err != nil {
		return statusOf(err)
	}
	f, err := who.readFilter(req.Parties)
	if err != nil {
		return statusOf(err)
	}
	next, end, err := updateRange(req)
	if err != nil {
		return err
	}
	for end == 0 || next <= end {
		ups, err := us.s.backend.UpdatesFrom(ctx, next)
		if err == nil && len(ups) == 0 {
			err = ctx.Err()
			if err == nil {
				err = errors.New("backend returned no updates without waiting")
			}
		}
		if err != nil {
			return statusOf(err)
		}
		for _, u := range ups {
			if u.Offset < next {
				continue
			}
			if end != 0 && u.Offset > end {
				return nil
			}
			next = u.Offset + 1
			msg, err := us.s.visibleUpdate(f, u)
			if err != nil {
				return statusOf(err)
			}
			if msg == nil {
				continue
			}
			if err := stream.Send(msg); err != nil {
				return err
			}
		}
	}
	return nil
}

// updateRange returns the first offset to stream (at least 1) and the last (0: none).
func updateRange(req *pb.GetUpdatesRequest) (next, end int64, err error) {
	if req.BeginOffset < 0 {
		return 0, 0, statusOf(withMeta(fmt.Errorf("%w: begin_offset %d is negative (offsets start at 1)", ErrInvalidArgument, req.BeginOffset),
			MetaField, "begin_offset", MetaOffset, strconv.FormatInt(req.BeginOffset, 10)))
	}
	if req.EndOffset < 0 {
		return 0, 0, statusOf(withMeta(fmt.Errorf("%w: end_offset %d is negative (0 follows forever)", ErrInvalidArgument, req.EndOffset),
			MetaField, "end_offset", MetaOffset, strconv.FormatInt(req.EndOffset, 10)))
	}
	return max(req.BeginOffset, 1), req.EndOffset, nil
}

// visibleUpdate renders the part of u that f sees: the created contracts with a visible
// stakeholder and the archived contracts (looked up with Backend.Contract) likewise. It
// returns nil when nothing is visible.
func (s *Server) visibleUpdate(f filter, u Update) (*pb.Update, error) {
	pkgs := s.backend.Packages()
	msg := &pb.Update{Offset: u.Offset, RequestIdMicros: u.RequestID, RootHash: u.RootHash}
	for _, c := range u.Created {
		if !f.visible(c) {
			continue
		}
		ac, err := activeContractPB(pkgs, c)
		if err != nil {
			return nil, fmt.Errorf("update %d: %w", u.Offset, err)
		}
		msg.Created = append(msg.Created, ac)
	}
	for _, id := range u.Archived {
		if !f.all {
			c, ok := s.backend.Contract(id)
			if !ok || !f.visible(c) {
				continue
			}
		}
		msg.Archived = append(msg.Archived, string(id))
	}
	if len(msg.Created) == 0 && len(msg.Archived) == 0 {
		return nil, nil
	}
	return msg, nil
}
