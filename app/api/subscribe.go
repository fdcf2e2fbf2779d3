package api

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/proto/sequencersvc"
)

// Subscribe streams the caller's own events from req.FromCounter and then follows new
// commits until the client goes away, the server closes the subscription, or a
// membership change takes the caller, or the key its token was issued against, out of
// the topology. Such a cut happens at the change's effective time on sequencer time:
// the stream delivers every event sequenced up to that time, then ends with
// PermissionDenied (member removed) or Unauthenticated (key revoked or rotated), the
// reason naming the change (see RevokedError).
func (q sequencerService) Subscribe(req *pb.SubscribeRequest, stream sequencersvc.SequencerService_SubscribeServer) error {
	s := q.s
	cred, _ := callCredentials(stream.Context())
	member := cred.member
	if req.Member != member {
		return status.Errorf(codes.PermissionDenied, "member %s may not subscribe to %s's stream", member, req.Member)
	}
	if req.FromCounter < 0 {
		return status.Errorf(codes.InvalidArgument, "from_counter %d is negative", req.FromCounter)
	}
	if err := s.checkPruned(member, req.FromCounter); err != nil {
		return err
	}
	ctx, sub, done, err := s.openSubscription(stream.Context(), cred)
	if err != nil {
		return err
	}
	defer done()
	sub.withProofs = req.WithProofs
	perResponse := s.eventsPerResponse(req.GetMaxEventsPerResponse())
	s.logger.Debug("subscription opened", "member", member, "from", req.FromCounter, "per_response", perResponse)
	err = s.follow(ctx, stream, sub, req.FromCounter, perResponse)
	if cause := context.Cause(ctx); cause != nil && stream.Context().Err() == nil {
		return closedStatus(cause)
	}
	return err
}

// subscription is an open Subscribe stream: whom it serves, with which key's token, and
// the membership change that cuts it, if any (set once, under Server.mu).
type subscription struct {
	member string
	key    crypto.Fingerprint
	cancel context.CancelCauseFunc
	cut    *RevokedError
	cutCh  chan struct{} // closed when cut is set
	// withProofs: each event goes with its EventProof (SubscribeRequest.with_proofs).
	withProofs bool
}

// openSubscription registers a subscription that CloseSubscriptions can cancel and that
// membership changes can cut. The token is checked again under the lock that cuts take,
// so a change applied since the interceptor's check is not missed.
func (s *Server) openSubscription(parent context.Context, cred authCredentials) (context.Context, *subscription, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed != nil {
		return nil, nil, nil, s.failed.GRPCStatus().Err()
	}
	if s.closed {
		return nil, nil, nil, status.Error(codes.Unavailable, ErrServerClosed.Error())
	}
	if err := s.subscriptionRoomLocked(cred.member); err != nil {
		return nil, nil, nil, err
	}
	if _, err := s.tokens.check(cred.token, cred.member, s.cfg.now()); err != nil {
		return nil, nil, nil, tokenStatus(err)
	}
	ctx, cancel := context.WithCancelCause(parent)
	sub := &subscription{member: cred.member, key: cred.key, cancel: cancel, cutCh: make(chan struct{})}
	id := s.nextID
	s.nextID++
	s.subs[id] = sub
	s.perMember[sub.member]++
	s.metrics.SubscribersChanged(1)
	return ctx, sub, func() {
		s.mu.Lock()
		s.removeSubLocked(id)
		s.mu.Unlock()
		cancel(nil)
		s.metrics.SubscribersChanged(-1)
	}, nil
}

// subscriptionRoomLocked refuses a new subscription of member with ResourceExhausted
// when member holds MaxSubscribersPerMember of them or the server MaxSubscribers. The
// member's cap is checked first, and Validate keeps it below the global one, so a single
// member at its cap leaves room for the others.
func (s *Server) subscriptionRoomLocked(member string) error {
	if n := s.perMember[member]; n >= s.cfg.MaxSubscribersPerMember {
		return status.Errorf(codes.ResourceExhausted, "member %s has %d subscriptions open, max_subscribers_per_member is %d", member, n, s.cfg.MaxSubscribersPerMember)
	}
	if len(s.subs) >= s.cfg.MaxSubscribers {
		return status.Errorf(codes.ResourceExhausted, "%d subscriptions open, max_subscribers is %d", len(s.subs), s.cfg.MaxSubscribers)
	}
	return nil
}

// removeSubLocked forgets subscription id, if still registered, and its member's count.
func (s *Server) removeSubLocked(id int64) {
	sub, ok := s.subs[id]
	if !ok {
		return
	}
	delete(s.subs, id)
	if s.perMember[sub.member]--; s.perMember[sub.member] <= 0 {
		delete(s.perMember, sub.member)
	}
}

// cutOf returns the membership change that cuts sub, nil when none has.
func (s *Server) cutOf(sub *subscription) *RevokedError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sub.cut
}

// maxResponseBytes is the size up to which events are packed into one SubscribeResponse,
// well under gRPC's default 4 MiB message limit. A single larger event still goes alone.
const maxResponseBytes = 1 << 20

// eventsPerResponse is how many events one response carries for a subscriber that asked
// for requested: 0 (one event per response, in the event field) when it asked for 0,
// otherwise requested capped at SubscribeBatch, since a response never spans two reads.
func (s *Server) eventsPerResponse(requested uint32) int {
	if uint64(requested) < uint64(s.cfg.SubscribeBatch) {
		return int(requested)
	}
	return s.cfg.SubscribeBatch
}

// follow sends everything committed from counter next on, perResponse events per
// response (see eventsPerResponse), then waits for the next commit. The notify channel
// is taken before reading so that a commit between the read and the wait is never
// missed. It sends only the events sequenced up to the time refresh has checked the
// membership changes for, so no event past a cut's effective time goes out before the
// cut is known; once cut, it sends the events up to the effective time and ends.
func (s *Server) follow(ctx context.Context, stream sequencersvc.SequencerService_SubscribeServer, sub *subscription, next int64, perResponse int) error {
	for {
		notify := s.backend.CommitNotify()
		limit := s.refresh()
		cut := s.cutOf(sub)
		if cut != nil {
			limit = cut.EffectiveMicros
		}
		var err error
		if next, err = s.sendAvailable(ctx, stream, sub, next, perResponse, limit); err != nil {
			return err
		}
		if cut != nil {
			s.logger.Info("subscription cut by a membership change", "member", sub.member, "next", next, "reason", cut)
			return cut.streamStatus()
		}
		select {
		case <-notify:
		case <-sub.cutCh:
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		}
	}
}

// sendAvailable sends the committed events from next on that were sequenced up to limit,
// batch by batch, and returns the counter after the last one sent.
func (s *Server) sendAvailable(ctx context.Context, stream sequencersvc.SequencerService_SubscribeServer, sub *subscription, next int64, perResponse int, limit int64) (int64, error) {
	member := sub.member
	for {
		if ctx.Err() != nil {
			return next, status.FromContextError(ctx.Err()).Err()
		}
		evs, err := s.readBatch(member, next)
		if err != nil {
			s.logger.Error("read events", "member", member, "from", next, "err", err)
			return next, s.readFailure(member, next, err)
		}
		more := len(evs) == s.cfg.SubscribeBatch
		if n := sequencedUpTo(evs, limit); n < len(evs) {
			evs, more = evs[:n], false
		}
		var proofs []*pb.EventProof
		if sub.withProofs {
			if proofs, err = s.proveEvents(member, evs); err != nil {
				s.logger.Error("prove events", "member", member, "from", next, "err", err)
				return next, status.Errorf(codes.Unavailable, "prove events of %s from %d: %v", member, next, err)
			}
		}
		sent, err := sendEvents(stream, evs, proofs, perResponse)
		if sent > 0 {
			next = evs[sent-1].Counter + 1
		}
		if err != nil {
			return next, err
		}
		s.metrics.EventsDelivered(len(evs))
		if !more {
			return next, nil
		}
	}
}

// sequencedUpTo returns how many of evs (in counter order, so in timestamp order) were
// sequenced at or before limit.
func sequencedUpTo(evs []*pb.SequencedEvent, limit int64) int {
	for i, ev := range evs {
		if ev.TimestampMicros > limit {
			return i
		}
	}
	return len(evs)
}

// sendEvents sends evs in counter order: each in its own response's event field when
// perResponse is 0, otherwise in the events field of responses made by packEvents; with
// proofs (one per event, or nil) each response carries its events' proofs. It returns
// how many events were sent before any error.
func sendEvents(stream sequencersvc.SequencerService_SubscribeServer, evs []*pb.SequencedEvent, proofs []*pb.EventProof, perResponse int) (int, error) {
	if perResponse == 0 {
		for i, ev := range evs {
			res := &pb.SubscribeResponse{Event: ev}
			if proofs != nil {
				res.Proofs = proofs[i : i+1]
			}
			if err := stream.Send(res); err != nil {
				return i, err
			}
		}
		return len(evs), nil
	}
	sent := 0
	for _, group := range packEvents(evs, proofs, perResponse, maxResponseBytes) {
		res := &pb.SubscribeResponse{Events: group}
		if proofs != nil {
			res.Proofs = proofs[sent : sent+len(group)]
		}
		if err := stream.Send(res); err != nil {
			return sent, err
		}
		sent += len(group)
	}
	return sent, nil
}

// packEvents splits evs, in order, into consecutive groups of at most perResponse
// (positive) events whose encoded sizes (with their proofs, when proofs is not nil) add
// up to at most maxBytes; an event larger than maxBytes forms a group of its own.
func packEvents(evs []*pb.SequencedEvent, proofs []*pb.EventProof, perResponse, maxBytes int) [][]*pb.SequencedEvent {
	var groups [][]*pb.SequencedEvent
	start, size := 0, 0
	for i, ev := range evs {
		n := ev.Size()
		if proofs != nil {
			n += proofs[i].Size()
		}
		if i > start && (i-start == perResponse || size+n > maxBytes) {
			groups = append(groups, evs[start:i])
			start, size = i, 0
		}
		size += n
	}
	if start < len(evs) {
		groups = append(groups, evs[start:])
	}
	return groups
}

func (s *Server) readBatch(member string, from int64) ([]*pb.SequencedEvent, error) {
	r, release := s.backend.Snapshot()
	if r == nil {
		return nil, errors.New("no committed state")
	}
	defer release()
	return readWhole(r, s.batches, member, from, s.cfg.SubscribeBatch)
}
