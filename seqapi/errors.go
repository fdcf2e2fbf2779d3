package seqapi

import (
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// MaxSendBatch is the most submissions one SendBatch call may carry.
const MaxSendBatch = 1024

// ResultError turns one SendBatch result back into the error Send would have returned
// for that submission (nil when it was admitted), so that SubmissionCode reads both.
func ResultError(r *pb.SendResult) error {
	if r.GetCode() == uint32(codes.OK) {
		return nil
	}
	st := status.New(codes.Code(r.Code), r.Message)
	if r.SubmissionCode != "" {
		if withInfo, err := st.WithDetails(&errdetails.ErrorInfo{Domain: Codespace, Reason: r.SubmissionCode}); err == nil {
			return withInfo.Err()
		}
	}
	return st.Err()
}

// SubmissionCode recovers the Code from a status returned by Send. ok is false when
// err does not carry a submission refusal (transport errors, authentication failures).
func SubmissionCode(err error) (code Code, ok bool) {
	st, isStatus := status.FromError(err)
	if !isStatus {
		return 0, false
	}
	for _, d := range st.Details() {
		info, isInfo := d.(*errdetails.ErrorInfo)
		if !isInfo || info.Domain != Codespace {
			continue
		}
		for c := CodeOK; c <= MaxCode; c++ {
			if c.String() == info.Reason {
				return c, true
			}
		}
	}
	return 0, false
}

// RetryDelay returns the delay of the RetryInfo detail of a status error; ok is false
// when it carries none.
func RetryDelay(err error) (d time.Duration, ok bool) {
	st, isStatus := status.FromError(err)
	if !isStatus {
		return 0, false
	}
	for _, detail := range st.Details() {
		if ri, isRetry := detail.(*errdetails.RetryInfo); isRetry && ri.RetryDelay != nil {
			return ri.RetryDelay.AsDuration(), true
		}
	}
	return 0, false
}
