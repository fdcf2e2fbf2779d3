package api

import (
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/abci/core"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// ReadinessService is the gRPC health service name that reports readiness: SERVING once
// the node has caught up with the chain (block or state sync done), NOT_SERVING before
// and after the node failed (Fail).
// The empty service name reports liveness (SERVING while the server runs, NOT_SERVING
// once the node failed).
const ReadinessService = "cometsync.readiness"

// SetReady sets the readiness status. After Fail it has no effect.
func (s *Server) SetReady(ready bool) {
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if ready {
		st = healthpb.HealthCheckResponse_SERVING
	}
	s.health.SetServingStatus(ReadinessService, st)
}

// NodeFailedError says the node cannot serve any more: its database is damaged, its
// consensus failed. It is FailedPrecondition on the wire, so that members go to another
// sequencer node instead of retrying this one.
type NodeFailedError struct{ Err error }

func (e *NodeFailedError) Error() string {
	return fmt.Sprintf("this sequencer node has failed and is stopping (%v): use another sequencer node", e.Err)
}

func (e *NodeFailedError) Unwrap() error { return e.Err }

// GRPCStatus makes the error FailedPrecondition.
func (e *NodeFailedError) GRPCStatus() *status.Status {
	return status.New(codes.FailedPrecondition, e.Error())
}

// FailureJudge is implemented by a Backend that can tell whether a failed read of
// committed state means the node itself has failed (its database is damaged). Judge
// returns nil for a failure it does not attribute to the node.
type FailureJudge interface {
	JudgeReadFailure(err error) error
}

// Fail marks the node failed for cause: every health status (liveness and readiness)
// turns NOT_SERVING for good, every open subscription ends with FailedPrecondition naming
// cause and new ones are refused the same way. The node's owner stops the node after it.
func (s *Server) Fail(cause error) {
	s.mu.Lock()
	if s.failed != nil {
		s.mu.Unlock()
		return
	}
	s.failed = &NodeFailedError{Err: cause}
	failed := s.failed
	s.mu.Unlock()
	s.health.Shutdown()
	s.CloseSubscriptions(failed)
}

// closedStatus is the status of a subscription the server ended for cause.
func closedStatus(cause error) error {
	var nf *NodeFailedError
	if errors.As(cause, &nf) {
		return nf.GRPCStatus().Err()
	}
	return status.Errorf(codes.Unavailable, "subscription closed: %v", cause)
}

// readFailure is the status of a subscription whose read of member's events from next
// failed with err: FailedPrecondition when the backend judges that the node failed (and
// the server is then failed too), Unavailable otherwise.
func (s *Server) readFailure(member string, next int64, err error) error {
	if j, ok := s.backend.(FailureJudge); ok {
		if cause := j.JudgeReadFailure(err); cause != nil {
			s.Fail(cause)
			return (&NodeFailedError{Err: cause}).GRPCStatus().Err()
		}
	}
	return status.Errorf(codes.Unavailable, "read events of %s from %d: %v", member, next, err)
}

// readWhole reads up to limit events of member from counter from, as
// core.ReadEventsCached, and checks that the stream does not end early: when fewer than
// limit come back, the stream's length as recorded (core.NextCounter) must be where they
// end. A damaged database does not report the blocks it cannot read (an iteration just
// ends), and without the check a stream would stop part-way as if it had no more
// events. (A gap inside what comes back is the members' drivers to detect: they check
// every counter, and go to another node.)
func readWhole(r core.Reader, cache *core.BatchCache, member string, from int64, limit int) ([]*pb.SequencedEvent, error) {
	evs, err := core.ReadEventsCached(r, cache, member, from, limit)
	if err != nil || len(evs) >= limit {
		return evs, err
	}
	next, err := core.NextCounter(r, member)
	if err != nil {
		return nil, err
	}
	end := from
	if len(evs) > 0 {
		end = evs[len(evs)-1].Counter + 1
	}
	if next > end {
		return nil, fmt.Errorf("stream of %s holds %d events but reading from %d ends at %d", member, next, from, end)
	}
	return evs, nil
}
