package ledgerapi

import (
	"context"
	"fmt"
	"strconv"

	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// GetUpdateByOffset returns the update at offset reduced to what the caller may read, as
// GetUpdates would stream it, or ErrUpdateNotFound.
func (us updateService) GetUpdateByOffset(ctx context.Context, req *pb.GetUpdateByOffsetRequest) (*pb.GetUpdateResponse, error) {
	return us.lookup(ctx, req.Parties, fmt.Sprintf("offset %d", req.Offset), []string{MetaOffset, strconv.FormatInt(req.Offset, 10)}, func() (Update, bool, error) {
		if req.Offset < 1 {
			return Update{}, false, nil
		}
		return us.s.backend.UpdateAt(req.Offset)
	})
}

// GetUpdateById is GetUpdateByOffset by update id (the root hash in hex).
func (us updateService) GetUpdateById(ctx context.Context, req *pb.GetUpdateByIdRequest) (*pb.GetUpdateResponse, error) {
	return us.lookup(ctx, req.Parties, fmt.Sprintf("id %q", req.UpdateId), []string{MetaUpdateID, req.UpdateId}, func() (Update, bool, error) {
		if req.UpdateId == "" {
			return Update{}, false, nil
		}
		return us.s.backend.UpdateByID(req.UpdateId)
	})
}

// lookup authorizes the caller's read filter before looking the update up with find, so
// that an unknown update and one the caller sees nothing of give the same answer.
func (us updateService) lookup(ctx context.Context, parties []string, what string, meta []string, find func() (Update, bool, error)) (*pb.GetUpdateResponse, error) {
	who, err := callerOf(ctx)
	if err != nil {
		return nil, statusOf(err)
	}
	f, err := who.readFilter(parties)
	if err != nil {
		return nil, statusOf(err)
	}
	u, ok, err := find()
	if err != nil {
		return nil, statusOf(err)
	}
	var msg *pb.Update
	if ok {
		if msg, err = us.s.visibleUpdate(f, u); err != nil {
			return nil, statusOf(err)
		}
	}
	if msg == nil {
		return nil, statusOf(withMeta(fmt.Errorf("%w: no update with %s visible to user %s", ErrUpdateNotFound, what, who.user.ID), meta...))
	}
	return &pb.GetUpdateResponse{Update: msg}, nil
}
