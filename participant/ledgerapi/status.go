package ledgerapi

import (
	"context"
	"errors"
	"strconv"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/ledger"
)

// StatusOf returns err as the gRPC status the Ledger API answers it with.
func StatusOf(err error) error { return statusOf(err) }

// statusOf turns an error of the API, the user store, the ledger or the backend into a
// gRPC status carrying the error's text. Statuses pass through unchanged. A duplicate
// command carries a google.rpc.ErrorInfo with the original outcome.
func statusOf(err error) error {
	if err == nil {
		return nil
	}
	var dup *DuplicateCommandError
	if errors.As(err, &dup) {
		st := status.New(codes.AlreadyExists, err.Error())
		if d, derr := st.WithDetails(&errdetails.ErrorInfo{Reason: "DUPLICATE_COMMAND", Domain: "cometsync.ledger",
			Metadata: map[string]string{"command_id": dup.CommandID, "offset": strconv.FormatInt(dup.Offset, 10),
				"request_id_micros": strconv.FormatInt(dup.RequestID, 10)}}); derr == nil {
			st = d
		}
		return st.Err()
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codeOf(err), err.Error())
}

// codeTable maps sentinels to codes, first match wins.
var codeTable = []struct {
	code codes.Code
	errs []error
}{
	{codes.Canceled, []error{context.Canceled}},
	{codes.DeadlineExceeded, []error{context.DeadlineExceeded}},
	{codes.Aborted, []error{ErrRejected, ErrTimedOut}},
	{codes.Unauthenticated, []error{ErrMissingToken, ErrInvalidToken, ErrTokenExpired, ErrUserDeactivated, ErrInvalidAuth}},
	{codes.PermissionDenied, []error{ErrPermissionDenied, ErrSubmitterNotAuthorized}},
	{codes.NotFound, []error{ErrUserNotFound, ErrUpdateNotFound, ledger.ErrContractNotFound, ledger.ErrContractNotActive}},
	{codes.AlreadyExists, []error{ErrUserExists, ErrDuplicateCommand, ErrCommandInFlight}},
	{codes.InvalidArgument, []error{ErrInvalidPage, ErrInvalidUserID, ErrInvalidUser, ErrInvalidRight, ledger.ErrInvalidCommand,
		ledger.ErrTypeMismatch, ledger.ErrUnknownPackage, ledger.ErrUnknownTemplate, ledger.ErrUnknownChoice}},
	{codes.FailedPrecondition, []error{ledger.ErrWrongTemplate, ledger.ErrAuthorization, ledger.ErrEnsureFailed,
		ledger.ErrAssertionFailed, ledger.ErrEvaluation, ledger.ErrCostLimitExceeded}},
}

func codeOf(err error) codes.Code {
	for _, row := range codeTable {
		for _, e := range row.errs {
			if errors.Is(err, e) {
				return row.code
			}
		}
	}
	return codes.Internal
}
