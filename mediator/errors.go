package mediator

import (
	"errors"
	"fmt"

	pb "github.com/cometsync/cometsync/proto/mediatorpb"
	"github.com/cometsync/cometsync/protocol"
)

// Errors that Step returns. They report a broken contract between the loop and the core
// (the event itself is unusable); the core's state is unchanged when Step fails.
var (
	// ErrInvalidConfig: a Config field is missing or invalid.
	ErrInvalidConfig = errors.New("invalid mediator config")
	// ErrInvalidEvent: the event is nil, of an unknown type, or lacks a required field.
	ErrInvalidEvent = errors.New("invalid event")
	// ErrTimeRegression: the event's timestamp is below one already observed.
	ErrTimeRegression = errors.New("event timestamp goes back in time")
)

// Reasons for which a request is rejected without aggregation. Each matches one
// pb.RejectCode; a *RequestError unwraps to it.
var (
	ErrMalformedRequest        = protocol.ErrMalformedRequest
	ErrNoViews                 = errors.New("request has no views")
	ErrViewWithoutConfirming   = errors.New("view has no confirming party")
	ErrRootHashMismatch        = errors.New("root hash mismatch")
	ErrMissingRootHashMessage  = errors.New("missing root hash message")
	ErrUnconfirmableParty      = errors.New("confirming party cannot reach its threshold")
	errUnknownRejectCodeReason = errors.New("request rejected")
)

// Reasons for which a response, or its part for one view and party, does not count.
// Records of kind RESPONSE_IGNORED carry their text.
var (
	ErrUndecodableResponse = protocol.ErrUndecodableResponse
	ErrSenderMismatch      = errors.New("response sender is not the batch sender")
	ErrBadSignature        = errors.New("response signature does not verify")
	ErrUnknownRequest      = errors.New("unknown or expired request")
	ErrAlreadyDecided      = errors.New("request already decided")
	ErrWrongRootHash       = errors.New("response root hash differs from the request's")
	ErrWrongSynchronizer   = errors.New("response is for another synchronizer")
	ErrNoVerdict           = errors.New("response has no verdict")
	ErrNoParties           = errors.New("response names no confirming party")
	ErrUnknownView         = errors.New("no such view")
	ErrNotConfirming       = errors.New("party is not a confirming party of the view")
	ErrNotHosted           = errors.New("sender does not host the party with confirming permission")
	ErrDuplicateVote       = errors.New("sender already answered for the party in this view")
)

var rejectCodeErrors = map[pb.RejectCode]error{
	pb.RejectCode_REJECT_CODE_MALFORMED_REQUEST:             ErrMalformedRequest,
	pb.RejectCode_REJECT_CODE_NO_VIEWS:                      ErrNoViews,
	pb.RejectCode_REJECT_CODE_VIEW_WITHOUT_CONFIRMING_PARTY: ErrViewWithoutConfirming,
	pb.RejectCode_REJECT_CODE_ROOT_HASH_MISMATCH:            ErrRootHashMismatch,
	pb.RejectCode_REJECT_CODE_MISSING_ROOT_HASH_MESSAGE:     ErrMissingRootHashMessage,
	pb.RejectCode_REJECT_CODE_UNCONFIRMABLE_PARTY:           ErrUnconfirmableParty,
}

// RequestError says why a request is rejected before any response is aggregated.
type RequestError struct {
	Code   pb.RejectCode
	Reason string
}

func (e *RequestError) Error() string { return fmt.Sprintf("%v: %s", e.Unwrap(), e.Reason) }

// Unwrap returns the sentinel of the code.
func (e *RequestError) Unwrap() error {
	if err, ok := rejectCodeErrors[e.Code]; ok {
		return err
	}
	return errUnknownRejectCodeReason
}

func requestErr(code pb.RejectCode, format string, args ...any) *RequestError {
	return &RequestError{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// ConfigError names the invalid Config field.
type ConfigError struct {
	Field, Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%v: %s: %s", ErrInvalidConfig, e.Field, e.Reason)
}

// Unwrap returns ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// EventError says why Step refused an event.
type EventError struct {
	Reason string
}

func (e *EventError) Error() string { return fmt.Sprintf("%v: %s", ErrInvalidEvent, e.Reason) }

// Unwrap returns ErrInvalidEvent.
func (e *EventError) Unwrap() error { return ErrInvalidEvent }

// TimeRegressionError reports an event older than the last observed timestamp.
type TimeRegressionError struct {
	Last, Got int64
}

func (e *TimeRegressionError) Error() string {
	return fmt.Sprintf("%v: observed %d, got %d", ErrTimeRegression, e.Last, e.Got)
}

// Unwrap returns ErrTimeRegression.
func (e *TimeRegressionError) Unwrap() error { return ErrTimeRegression }

// ErrInvalidCheckpoint: Restore was given a checkpoint no core can be in.
var ErrInvalidCheckpoint = errors.New("invalid mediator checkpoint")

// CheckpointError says why Restore refused a checkpoint.
type CheckpointError struct {
	// Request is the id of the request at fault; -1 when the fault is in the Meta.
	Request int64
	Reason  string
}

func (e *CheckpointError) Error() string {
	if e.Request == -1 {
		return fmt.Sprintf("%v: %s", ErrInvalidCheckpoint, e.Reason)
	}
	return fmt.Sprintf("%v: request %d: %s", ErrInvalidCheckpoint, e.Request, e.Reason)
}

// Unwrap returns ErrInvalidCheckpoint.
func (e *CheckpointError) Unwrap() error { return ErrInvalidCheckpoint }

func checkpointErr(request int64, format string, args ...any) *CheckpointError {
	return &CheckpointError{Request: request, Reason: fmt.Sprintf(format, args...)}
}
