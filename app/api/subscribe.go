package api

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/abci/core"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// Subscribe streams the caller's own events from req.FromCounter and then follows new
// commits until the client goes away or the server closes the subscription.
func (q sequencerService) Subscribe(req *pb.SubscribeRequest, stream pb.SequencerService_SubscribeServer) error {
	s := q.s
	member, _ := AuthenticatedMember(stream.Context())
	if req.Member != member {
		return status.Errorf(codes.PermissionDenied, "member %s may not subscribe to %s's stream", member, req.Member)
	}
	if req.FromCounter < 0 {
		return status.Errorf(codes.InvalidArgument, "from_counter %d is negative", req.FromCounter)
	}
	ctx, done, err := s.openSubscription(stream.Context())
	if err != nil {
		return err
	}
	defer done()
	s.logger.Debug("subscription opened", "member", member, "from", req.FromCounter)
	err = s.follow(ctx, stream, member, req.FromCounter)
	if cause := context.Cause(ctx); cause != nil && stream.Context().Err() == nil {
		return status.Errorf(codes.Unavailable, "subscription closed: %v", cause)
	}
	return err
}

// openSubscription registers a subscription that CloseSubscriptions can cancel.
func (s *Server) openSubscription(parent context.Context) (context.Context, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, status.Error(codes.Unavailable, ErrServerClosed.Error())
	}
	if len(s.subs) >= s.cfg.MaxSubscribers {
		return nil, nil, status.Errorf(codes.ResourceExhausted, "%d subscriptions open, max_subscribers is %d", len(s.subs), s.cfg.MaxSubscribers)
	}
	ctx, cancel := context.WithCancelCause(parent)
	id := s.nextID
	s.nextID++
	s.subs[id] = cancel
	s.metrics.SubscribersChanged(1)
	return ctx, func() {
		s.mu.Lock()
		delete(s.subs, id)
		s.mu.Unlock()
		cancel(nil)
		s.metrics.SubscribersChanged(-1)
	}, nil
}

// follow sends everything committed from counter next on, then waits for the next commit.
// The notify channel is taken before reading so that a commit between the read and the
// wait is never missed.
func (s *Server) follow(ctx context.Context, stream pb.SequencerService_SubscribeServer, member string, next int64) error {
	for {
		notify := s.backend.CommitNotify()
		var err error
		if next, err = s.sendAvailable(ctx, stream, member, next); err != nil {
			return err
		}
		select {
		case <-notify:
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		}
	}
}

// sendAvailable sends the committed events from next on, batch by batch, and returns the
// counter after the last one sent.
func (s *Server) sendAvailable(ctx context.Context, stream pb.SequencerService_SubscribeServer, member string, next int64) (int64, error) {
	for {
		if ctx.Err() != nil {
			return next, status.FromContextError(ctx.Err()).Err()
		}
		evs, err := s.readBatch(member, next)
		if err != nil {
			s.logger.Error("read events", "member", member, "from", next, "err", err)
			return next, status.Errorf(codes.Unavailable, "read events of %s from %d: %v", member, next, err)
		}
		for _, ev := range evs {
			if err := stream.Send(&pb.SubscribeResponse{Event: ev}); err != nil {
				return next, err
			}
			next = ev.Counter + 1
		}
		s.metrics.EventsDelivered(len(evs))
		if len(evs) < s.cfg.SubscribeBatch {
			return next, nil
		}
	}
}

func (s *Server) readBatch(member string, from int64) ([]*pb.SequencedEvent, error) {
	r, release := s.backend.Snapshot()
	if r == nil {
		return nil, errors.New("no committed state")
	}
	defer release()
	return core.ReadEvents(r, member, from, s.cfg.SubscribeBatch)
}
