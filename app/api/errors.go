package api

import (
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/abci/core"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// submissionStatus turns a refusal of the sequencer core into a gRPC status whose
// details carry an ErrorInfo{Domain: seqapi.Codespace, Reason: code name}.
func submissionStatus(e *core.SubmissionError) error {
	st := status.New(grpcCode(e.Code), e.Error())
	withInfo, err := st.WithDetails(&errdetails.ErrorInfo{Domain: seqapi.Codespace, Reason: e.Code.String()})
	if err != nil {
		return st.Err()
	}
	return withInfo.Err()
}

func grpcCode(c seqapi.Code) codes.Code {
	switch c {
	case seqapi.CodeMalformed, seqapi.CodeInvalidBatch, seqapi.CodeTopologyRejected, seqapi.CodeTooLarge:
		return codes.InvalidArgument // the submitter's to fix: sending it again is refused again
	case seqapi.CodeUnknownSender, seqapi.CodeUnknownKey, seqapi.CodeBadSignature:
		return codes.PermissionDenied
	case seqapi.CodeUnknownRecipient:
		return codes.NotFound
	case seqapi.CodeExpired:
		return codes.DeadlineExceeded
	case seqapi.CodeDuplicate:
		return codes.AlreadyExists
	case seqapi.CodeTrafficExceeded:
		// No RetryInfo: the driver does not mistake it for a busy node or an outage (it
		// neither waits nor fails over); the sender's traffic refills on sequencer time.
		return codes.ResourceExhausted
	}
	return codes.Unknown
}

// sendResult is a status returned by admit as one SendBatch result.
func sendResult(err error) *pb.SendResult {
	if err == nil {
		return &pb.SendResult{}
	}
	st := status.Convert(err)
	r := &pb.SendResult{Code: uint32(st.Code()), Message: st.Message()}
	if code, ok := seqapi.SubmissionCode(err); ok {
		r.SubmissionCode = code.String()
	}
	return r
}

// asSubmissionError unwraps a *core.SubmissionError from err.
func asSubmissionError(err error) (*core.SubmissionError, bool) {
	var se *core.SubmissionError
	ok := errors.As(err, &se)
	return se, ok
}

// authStatus is an Unauthenticated status whose details carry an ErrorInfo with
// Domain AuthDomain and reason.
func authStatus(reason, format string, args ...any) error {
	st := status.Newf(codes.Unauthenticated, format, args...)
	withInfo, err := st.WithDetails(&errdetails.ErrorInfo{Domain: seqapi.AuthDomain, Reason: reason})
	if err != nil {
		return st.Err()
	}
	return withInfo.Err()
}
