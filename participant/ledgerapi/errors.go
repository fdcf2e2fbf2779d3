package ledgerapi

import (
	"errors"
	"fmt"
)

// Sentinel errors. The server turns them into gRPC statuses (see statusOf); callers of
// Users and Auth branch on them with errors.Is.
var (
	// ErrRejected: the synchronizer rejected the transaction. Backend.Submit returns an
	// error wrapping it (participant.ErrRejected is this value); the API answers
	// codes.Aborted with the reason.
	ErrRejected = errors.New("transaction rejected")
	// ErrTimedOut: no verdict on the transaction came by its deadline (request time plus
	// the decision and mediator reaction timeouts, on sequencer time); it was discarded
	// everywhere alike and nothing was committed. A definite answer: codes.Aborted.
	ErrTimedOut = errors.New("transaction timed out")
	// ErrDuplicateCommand: a command whose change id (user, actAs parties, command id)
	// already committed within the deduplication period; a *DuplicateCommandError says
	// where. codes.AlreadyExists.
	ErrDuplicateCommand = errors.New("duplicate command")
	// ErrCommandInFlight: an asynchronous submission of a command id whose previous
	// attempt has no outcome yet (its completion will come). codes.AlreadyExists.
	ErrCommandInFlight = errors.New("command already in flight")
	// ErrSubmitterNotAuthorized: the participant does not host an actAs party with
	// Submission permission; nothing was sent. codes.PermissionDenied.
	ErrSubmitterNotAuthorized = errors.New("participant may not submit for the party")
	// ErrInvalidUserID: a user id is empty, too long or has a character outside
	// [a-z0-9@^$.!`\-#+'~_|:].
	ErrInvalidUserID = errors.New("invalid user id")
	// ErrInvalidUser: a user's primary party or annotations are malformed.
	ErrInvalidUser = errors.New("invalid user")
	// ErrInvalidRight: a right of unknown kind, or a party right without a valid party.
	ErrInvalidRight = errors.New("invalid right")
	// ErrUserExists: Create of a user id that is taken.
	ErrUserExists = errors.New("user already exists")
	// ErrUserNotFound: no user with that id.
	ErrUserNotFound = errors.New("user not found")
	// ErrUpdateNotFound: no update at that offset or with that id, or none the caller may
	// see (the two are not told apart). codes.NotFound.
	ErrUpdateNotFound = errors.New("update not found")
	// ErrInvalidPage: a negative page size or a page token this server did not issue.
	// codes.InvalidArgument.
	ErrInvalidPage = errors.New("invalid page request")
	// ErrInvalidAuth: the Auth configuration is unusable (secret too short).
	ErrInvalidAuth = errors.New("invalid ledger api auth config")
	// ErrMissingToken: a call without "authorization: Bearer <jwt>" metadata.
	ErrMissingToken = errors.New("missing bearer token")
	// ErrInvalidToken: a token that does not parse, has a bad signature, another algorithm
	// than HS256, no subject, or the wrong audience.
	ErrInvalidToken = errors.New("invalid token")
	// ErrTokenExpired: a token without exp or whose exp has passed.
	ErrTokenExpired = errors.New("token expired")
	// ErrUserDeactivated: the token's user is deactivated.
	ErrUserDeactivated = errors.New("user deactivated")
	// ErrPermissionDenied: the caller lacks a right the call needs.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrPartyNotKnown: a party the call names is not hosted on this participant (an
	// actAs party, the party of UpdatePartyDetails), or an informee of a command is
	// hosted on no participant (protocol.ErrUnhostedParty). codes.InvalidArgument.
	ErrPartyNotKnown = errors.New("party not known")
	// ErrInvalidPartyDetails: UpdatePartyDetails with a bad update mask or annotation.
	// codes.InvalidArgument.
	ErrInvalidPartyDetails = errors.New("invalid party details")
	// ErrInvalidArgument: a malformed request field that no more specific sentinel
	// covers (a negative offset, a missing command id). codes.InvalidArgument.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrStreamLimit: a stream over StreamLimits. codes.ResourceExhausted.
	ErrStreamLimit = errors.New("stream limit reached")
)

// DuplicateCommandError reports a command that already committed: the original's
// offset and request id.
type DuplicateCommandError struct {
	CommandID string
	Offset    int64
	RequestID int64
}

func (e *DuplicateCommandError) Error() string {
	return fmt.Sprintf("%v: command %q committed at offset %d (request %d)", ErrDuplicateCommand, e.CommandID, e.Offset, e.RequestID)
}

// Unwrap returns ErrDuplicateCommand.
func (e *DuplicateCommandError) Unwrap() error { return ErrDuplicateCommand }

// ConfigError names the field of a configuration (StreamLimits, Auth) that is invalid, in
// snake_case. It wraps the configuration's sentinel: ErrInvalidStreamLimits or
// ErrInvalidAuth.
type ConfigError struct {
	Field, Reason string
	sentinel      error
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%v: %s: %s", e.sentinel, e.Field, e.Reason)
}

// Unwrap returns the configuration's sentinel.
func (e *ConfigError) Unwrap() error { return e.sentinel }
