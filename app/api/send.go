package api

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/abci/core"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// sequencerService implements SequencerService; the interceptors have authenticated the
// caller before any method runs.
type sequencerService struct{ s *Server }

// Send decodes the submission, checks that the caller sends as itself and hands the
// bytes to the backend. A success means the node admitted the submission to its mempool,
// not that it will be sequenced: the receipt on the sender's stream says so.
func (q sequencerService) Send(ctx context.Context, req *pb.SendRequest) (*pb.SendResponse, error) {
	member, authenticated := AuthenticatedMember(ctx)
	sub, rej := core.DecodeSubmission(req.Submission)
	if !authenticated {
		if rej != nil || !q.onboarding(sub) {
			q.s.metrics.SubmissionRejected("unauthenticated")
			return nil, status.Error(codes.Unauthenticated, ErrMissingToken.Error())
		}
		member = sub.Request.Sender
	}
	if err := q.admit(ctx, member, sub, rej, req.Submission); err != nil {
		return nil, err
	}
	return &pb.SendResponse{}, nil
}

// SendBatch is Send for several submissions of the authenticated caller (onboarding
// submissions go through Send). Their signatures are verified as one batch before each
// is admitted on its own; the response has one result per submission, in order.
func (q sequencerService) SendBatch(ctx context.Context, req *pb.SendBatchRequest) (*pb.SendBatchResponse, error) {
	member, _ := AuthenticatedMember(ctx)
	if n := len(req.Submissions); n > seqapi.MaxSendBatch {
		return nil, status.Errorf(codes.InvalidArgument, "%d submissions in one batch, at most %d", n, seqapi.MaxSendBatch)
	}
	subs := make([]*core.Submission, len(req.Submissions))
	rejs := make([]*core.SubmissionError, len(req.Submissions))
	var own []*core.Submission // only the caller's own submissions are worth verifying
	for i, tx := range req.Submissions {
		subs[i], rejs[i] = core.DecodeSubmission(tx)
		if rejs[i] == nil && subs[i].Request.Sender == member {
			own = append(own, subs[i])
		}
	}
	if m := q.s.backend.Machine(); m != nil && len(own) > 1 {
		m.AuthenticateSubmissions(own) // fills the signature cache; admit reports each verdict
	}
	out := &pb.SendBatchResponse{Results: make([]*pb.SendResult, len(req.Submissions))}
	for i, tx := range req.Submissions {
		out.Results[i] = sendResult(q.admit(ctx, member, subs[i], rejs[i], tx))
	}
	return out, nil
}

// admit checks that the decoded submission is the caller's and hands tx to the backend;
// it returns the gRPC status Send answers with (nil: admitted).
func (q sequencerService) admit(ctx context.Context, member string, sub *core.Submission, rej *core.SubmissionError, tx []byte) error {
	s := q.s
	if rej != nil {
		s.metrics.SubmissionRejected(rej.Code.String())
		return submissionStatus(rej)
	}
	if sub.Request.Sender != member {
		s.metrics.SubmissionRejected("permission_denied")
		return status.Errorf(codes.PermissionDenied, "member %s may not send as %s", member, sub.Request.Sender)
	}
	err := s.backend.Submit(ctx, tx, sub)
	if err == nil {
		s.metrics.SubmissionAccepted()
		return nil
	}
	if se, ok := asSubmissionError(err); ok {
		s.metrics.SubmissionRejected(se.Code.String())
		s.logger.Debug("submission refused", "sender", member, "message_id", sub.Request.MessageId, "code", se.Code.String(), "reason", se.Reason)
		return submissionStatus(se)
	}
	return s.submitFailureStatus(ctx, member, sub, len(tx), err)
}

// mempoolRetryDelay is the RetryInfo delay of a full mempool: about a block, after
// which the mempool has room again.
const mempoolRetryDelay = time.Second

// submitFailureStatus is Send's answer to a node failure of Backend.Submit: the
// submitter's own error (too large: InvalidArgument), a full mempool
// (ResourceExhausted, retry), the caller's context (its own code) or a failure of this
// node (Unavailable: try another).
func (s *Server) submitFailureStatus(ctx context.Context, member string, sub *core.Submission, size int, err error) error {
	if ctx.Err() != nil {
		s.metrics.SubmissionRejected("canceled")
		return status.FromContextError(ctx.Err()).Err()
	}
	switch s.backend.SubmitFailure(err) {
	case FailureTooLarge:
		s.metrics.SubmissionRejected(seqapi.CodeTooLarge.String())
		return submissionStatus(&core.SubmissionError{Code: seqapi.CodeTooLarge,
			Reason: fmt.Sprintf("submission of %d bytes refused by the node's mempool: %v", size, err)})
	case FailureMempoolFull:
		s.metrics.SubmissionRejected("mempool_full")
		return retryStatus(codes.ResourceExhausted, mempoolRetryDelay, "submit: %v", err)
	}
	s.metrics.SubmissionRejected("unavailable")
	s.logger.Warn("submit failed", "sender", member, "message_id", sub.Request.MessageId, "err", err)
	return status.Errorf(codes.Unavailable, "submit: %v", err)
}

// onboarding reports whether sub may be sent without a token: its sender is not (yet) a
// member and it only addresses the topology manager. The sequencer core then requires
// the signature to come from a key the submission's own OwnerToKeyMapping introduces.
func (q sequencerService) onboarding(sub *core.Submission) bool {
	m := q.s.backend.Machine()
	if m == nil || m.Membership().IsMember(sub.Request.Sender) || len(sub.Request.GetBatch().GetEnvelopes()) == 0 {
		return false
	}
	for _, env := range sub.Request.Batch.Envelopes {
		if len(env.Recipients) != 1 || env.Recipients[0].GetGroup() != pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER {
			return false
		}
	}
	return true
}

// Acknowledge records that the caller has processed its stream up to a point. A
// request with a signed acknowledgement is submitted to the chain (see
// acknowledgements.go); one without is only remembered by this node.
func (q sequencerService) Acknowledge(ctx context.Context, req *pb.AcknowledgeRequest) (*pb.AcknowledgeResponse, error) {
	member, _ := AuthenticatedMember(ctx)
	if req.Member != member {
		return nil, status.Errorf(codes.PermissionDenied, "member %s may not acknowledge for %s", member, req.Member)
	}
	if req.TimestampMicros < 0 {
		return nil, status.Errorf(codes.InvalidArgument, "timestamp %d is negative", req.TimestampMicros)
	}
	if len(req.SignedAcknowledgement) > 0 {
		if err := q.s.submitAck(ctx, member, req.SignedAcknowledgement); err != nil {
			return nil, err
		}
	}
	q.s.acks.record(member, req.TimestampMicros)
	return &pb.AcknowledgeResponse{}, nil
}
