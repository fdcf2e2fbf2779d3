package api

import (
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/abci/core"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// submissionStatus turns a refusal of the sequencer core into a gRPC status whose
// details carry an ErrorInfo{Domain: core.Codespace, Reason: code name}.
func submissionStatus(e *core.SubmissionError) error {
	st := status.New(grpcCode(e.Code), e.Error())
	withInfo, err := st.WithDetails(&errdetails.ErrorInfo{Domain: core.Codespace, Reason: e.Code.String()})
	if err != nil {
		return st.Err()
	}
	return withInfo.Err()
}

func grpcCode(c core.Code) codes.Code {
	switch c {
	case core.CodeMalformed, core.CodeInvalidBatch, core.CodeTopologyRejected, core.CodeTooLarge:
		return codes.InvalidArgument // the submitter's to fix: sending it again is refused again
	case core.CodeUnknownSender, core.CodeUnknownKey, core.CodeBadSignature:
		return codes.PermissionDenied
	case core.CodeUnknownRecipient:
		return codes.NotFound
	case core.CodeExpired:
		return codes.DeadlineExceeded
	case core.CodeDuplicate:
		return codes.AlreadyExists
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
	if code, ok := SubmissionCode(err); ok {
		r.SubmissionCode = code.String()
	}
	return r
}

// ResultError turns one SendBatch result back into the error Send would have returned
// for that submission (nil when it was admitted), so that SubmissionCode reads both.
func ResultError(r *pb.SendResult) error {
	if r.GetCode() == uint32(codes.OK) {
		return nil
	}
	st := status.New(codes.Code(r.Code), r.Message)
	if r.SubmissionCode != "" {
		if withInfo, err := st.WithDetails(&errdetails.ErrorInfo{Domain: core.Codespace, Reason: r.SubmissionCode}); err == nil {
			return withInfo.Err()
		}
	}
	return st.Err()
}

// SubmissionCode recovers the core.Code from a status returned by Send. ok is false when
// err does not carry a submission refusal (transport errors, authentication failures).
func SubmissionCode(err error) (code core.Code, ok bool) {
	st, isStatus := status.FromError(err)
	if !isStatus {
		return 0, false
	}
	for _, d := range st.Details() {
		info, isInfo := d.(*errdetails.ErrorInfo)
		if !isInfo || info.Domain != core.Codespace {
			continue
		}
		for c := core.CodeOK; c <= core.MaxCode; c++ {
			if c.String() == info.Reason {
				return c, true
			}
		}
	}
	return 0, false
}

// asSubmissionError unwraps a *core.SubmissionError from err.
func asSubmissionError(err error) (*core.SubmissionError, bool) {
	var se *core.SubmissionError
	ok := errors.As(err, &se)
	return se, ok
}

// AuthDomain is the ErrorInfo domain of Authenticate's refusals.
const AuthDomain = "cometsync.auth"

// ErrorInfo reasons of Authenticate's Unauthenticated refusals (AuthRefusal reads them).
const (
	// ReasonSignatureRefused: the member is unknown, the key is not one of its current
	// signing keys, or the signature does not verify; the server does not say which.
	ReasonSignatureRefused = "signature_refused"
	// ReasonNonceRefused: the nonce is unknown (never issued, used, or evicted by newer
	// challenges), expired or issued to another member: ask for a new challenge.
	ReasonNonceRefused = "nonce_refused"
)

// authStatus is an Unauthenticated status whose details carry an ErrorInfo with
// Domain AuthDomain and reason.
func authStatus(reason, format string, args ...any) error {
	st := status.Newf(codes.Unauthenticated, format, args...)
	withInfo, err := st.WithDetails(&errdetails.ErrorInfo{Domain: AuthDomain, Reason: reason})
	if err != nil {
		return st.Err()
	}
	return withInfo.Err()
}

// AuthRefusal returns the reason of a refusal by Authenticate (ReasonSignatureRefused or
// ReasonNonceRefused); ok is false for other errors.
func AuthRefusal(err error) (reason string, ok bool) {
	st, isStatus := status.FromError(err)
	if !isStatus {
		return "", false
	}
	for _, d := range st.Details() {
		if info, isInfo := d.(*errdetails.ErrorInfo); isInfo && info.Domain == AuthDomain {
			return info.Reason, true
		}
	}
	return "", false
}
