package ledgerapi

import (
	"context"
	"errors"
	"strings"
	"unicode"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/protocol"
)

// ErrorDomain is the google.rpc.ErrorInfo domain of every Ledger API error.
const ErrorDomain = "cometsync.ledger"

// StatusOf returns err as the gRPC status the Ledger API answers it with.
func StatusOf(err error) error { return statusOf(err) }

// statusOf turns an error of the API, the user store, the ledger or the backend into a
// gRPC status carrying the error's text and a google.rpc.ErrorInfo: domain ErrorDomain,
// the reason of the error's sentinel (see reasonTable) and the metadata the error chain
// carries (see errorMetadata). A status that already carries such an ErrorInfo passes
// through unchanged; one from elsewhere without it (an Unavailable of the sequencer
// connection) keeps its code, with the code's name as the reason ("UNAVAILABLE").
func statusOf(err error) error {
	if err == nil {
		return nil
	}
	if ErrorInfoOf(err) != nil {
		return err
	}
	code, reason := classify(err)
	if st, ok := status.FromError(err); ok && code == codes.Internal && st.Code() != codes.Unknown {
		// A status from elsewhere (the synchronizer connection): keep its code.
		code, reason = st.Code(), codeReason(st.Code())
	}
	st := status.New(code, err.Error())
	info := &errdetails.ErrorInfo{Reason: reason, Domain: ErrorDomain, Metadata: errorMetadata(err)}
	if d, derr := st.WithDetails(info); derr == nil {
		st = d
	}
	return st.Err()
}

// ReasonOf returns the ErrorInfo reason of a status the Ledger API answered (with
// ErrorDomain), or "" when err carries none.
func ReasonOf(err error) string {
	info := ErrorInfoOf(err)
	if info == nil {
		return ""
	}
	return info.Reason
}

// ErrorInfoOf returns the google.rpc.ErrorInfo of domain ErrorDomain that the status err
// carries, or nil.
func ErrorInfoOf(err error) *errdetails.ErrorInfo {
	st, ok := status.FromError(err)
	if !ok || err == nil {
		return nil
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.Domain == ErrorDomain {
			return info
		}
	}
	return nil
}

// The reason codes of the Ledger API's errors: stable, UPPER_SNAKE, in the ErrorInfo of
// every error status. docs/ledger-api.md lists them per call.
const (
	ReasonCancelled              = "CANCELLED"
	ReasonDeadlineExceeded       = "DEADLINE_EXCEEDED"
	ReasonDuplicateCommand       = "DUPLICATE_COMMAND"
	ReasonCommandInFlight        = "COMMAND_IN_FLIGHT"
	ReasonCommandRejected        = "COMMAND_REJECTED"
	ReasonCommandTimedOut        = "COMMAND_TIMED_OUT"
	ReasonMissingToken           = "MISSING_TOKEN"
	ReasonInvalidToken           = "INVALID_TOKEN"
	ReasonTokenExpired           = "TOKEN_EXPIRED"
	ReasonUserDeactivated        = "USER_DEACTIVATED"
	ReasonAuthMisconfigured      = "AUTH_MISCONFIGURED"
	ReasonPermissionDenied       = "PERMISSION_DENIED"
	ReasonSubmitterNotAuthorized = "SUBMITTER_NOT_AUTHORIZED"
	ReasonPartyNotKnown          = "PARTY_NOT_KNOWN"
	ReasonUserNotFound           = "USER_NOT_FOUND"
	ReasonUpdateNotFound         = "UPDATE_NOT_FOUND"
	ReasonContractNotFound       = "CONTRACT_NOT_FOUND"
	ReasonContractNotActive      = "CONTRACT_NOT_ACTIVE"
	ReasonUserAlreadyExists      = "USER_ALREADY_EXISTS"
	ReasonInvalidPage            = "INVALID_PAGE"
	ReasonInvalidUserID          = "INVALID_USER_ID"
	ReasonInvalidUser            = "INVALID_USER"
	ReasonInvalidRight           = "INVALID_RIGHT"
	ReasonInvalidPartyDetails    = "INVALID_PARTY_DETAILS"
	ReasonInvalidCommand         = "INVALID_COMMAND"
	ReasonTypeMismatch           = "TYPE_MISMATCH"
	ReasonPackageNotFound        = "PACKAGE_NOT_FOUND"
	ReasonTemplateNotFound       = "TEMPLATE_NOT_FOUND"
	ReasonChoiceNotFound         = "CHOICE_NOT_FOUND"
	ReasonInvalidArgument        = "INVALID_ARGUMENT"
	ReasonWrongTemplate          = "WRONG_TEMPLATE"
	ReasonAuthorizationFailed    = "AUTHORIZATION_FAILED"
	ReasonEnsureFailed           = "ENSURE_FAILED"
	ReasonAssertionFailed        = "ASSERTION_FAILED"
	ReasonEvaluationFailed       = "EVALUATION_FAILED"
	ReasonCostLimitExceeded      = "COST_LIMIT_EXCEEDED"
	ReasonStreamLimitExceeded    = "STREAM_LIMIT_EXCEEDED"
	ReasonInternal               = "INTERNAL"
)

// reasonRow classifies the errors wrapping err.
type reasonRow struct {
	err    error
	code   codes.Code
	reason string
}

// reasonTable maps sentinels to codes and reasons, first match wins: an error wrapping
// two sentinels (ErrInvalidUser and ledger.ErrTypeMismatch) takes the earlier row.
var reasonTable = []reasonRow{
	{context.Canceled, codes.Canceled, ReasonCancelled},
	{context.DeadlineExceeded, codes.DeadlineExceeded, ReasonDeadlineExceeded},
	{ErrDuplicateCommand, codes.AlreadyExists, ReasonDuplicateCommand},
	{ErrCommandInFlight, codes.AlreadyExists, ReasonCommandInFlight},
	{ErrRejected, codes.Aborted, ReasonCommandRejected},
	{ErrTimedOut, codes.Aborted, ReasonCommandTimedOut},
	{ErrMissingToken, codes.Unauthenticated, ReasonMissingToken},
	{ErrInvalidToken, codes.Unauthenticated, ReasonInvalidToken},
	{ErrTokenExpired, codes.Unauthenticated, ReasonTokenExpired},
	{ErrUserDeactivated, codes.Unauthenticated, ReasonUserDeactivated},
	{ErrInvalidAuth, codes.Unauthenticated, ReasonAuthMisconfigured},
	{ErrPermissionDenied, codes.PermissionDenied, ReasonPermissionDenied},
	{ErrSubmitterNotAuthorized, codes.PermissionDenied, ReasonSubmitterNotAuthorized},
	{ErrPartyNotKnown, codes.InvalidArgument, ReasonPartyNotKnown},
	{protocol.ErrUnhostedParty, codes.InvalidArgument, ReasonPartyNotKnown},
	{ErrUserNotFound, codes.NotFound, ReasonUserNotFound},
	{ErrUpdateNotFound, codes.NotFound, ReasonUpdateNotFound},
	{ledger.ErrContractNotFound, codes.NotFound, ReasonContractNotFound},
	{ledger.ErrContractNotActive, codes.NotFound, ReasonContractNotActive},
	{ErrUserExists, codes.AlreadyExists, ReasonUserAlreadyExists},
	{ErrInvalidPage, codes.InvalidArgument, ReasonInvalidPage},
	{ErrInvalidUserID, codes.InvalidArgument, ReasonInvalidUserID},
	{ErrInvalidUser, codes.InvalidArgument, ReasonInvalidUser},
	{ErrInvalidRight, codes.InvalidArgument, ReasonInvalidRight},
	{ErrInvalidPartyDetails, codes.InvalidArgument, ReasonInvalidPartyDetails},
	{ledger.ErrUnknownPackage, codes.InvalidArgument, ReasonPackageNotFound},
	{ledger.ErrUnknownTemplate, codes.InvalidArgument, ReasonTemplateNotFound},
	{ledger.ErrUnknownChoice, codes.InvalidArgument, ReasonChoiceNotFound},
	{ledger.ErrTypeMismatch, codes.InvalidArgument, ReasonTypeMismatch},
	{ledger.ErrInvalidCommand, codes.InvalidArgument, ReasonInvalidCommand},
	{ErrInvalidArgument, codes.InvalidArgument, ReasonInvalidArgument},
	{ledger.ErrWrongTemplate, codes.FailedPrecondition, ReasonWrongTemplate},
	{ledger.ErrAuthorization, codes.FailedPrecondition, ReasonAuthorizationFailed},
	{ledger.ErrEnsureFailed, codes.FailedPrecondition, ReasonEnsureFailed},
	{ledger.ErrAssertionFailed, codes.FailedPrecondition, ReasonAssertionFailed},
	{ledger.ErrEvaluation, codes.FailedPrecondition, ReasonEvaluationFailed},
	{ledger.ErrCostLimitExceeded, codes.FailedPrecondition, ReasonCostLimitExceeded},
	{ErrStreamLimit, codes.ResourceExhausted, ReasonStreamLimitExceeded},
}

// classify returns the code and reason of err's first row in reasonTable; Internal and
// INTERNAL when none matches.
func classify(err error) (codes.Code, string) {
	for _, row := range reasonTable {
		if errors.Is(err, row.err) {
			return row.code, row.reason
		}
	}
	return codes.Internal, ReasonInternal
}

// codeReason is code's name in UPPER_SNAKE: Unavailable is UNAVAILABLE,
// DeadlineExceeded DEADLINE_EXCEEDED.
func codeReason(code codes.Code) string {
	var b strings.Builder
	for i, r := range code.String() {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

func codeOf(err error) codes.Code {
	code, _ := classify(err)
	return code
}
