package driver

import (
	"errors"
	"fmt"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// Sentinel errors callers branch on.
var (
	// ErrSynchronizerMismatch: an endpoint serves another synchronizer than the pinned one.
	ErrSynchronizerMismatch = errors.New("synchronizer id mismatch")
	// ErrNoEndpoint: no endpoint could be connected.
	ErrNoEndpoint = errors.New("no sequencer endpoint available")
	// ErrKeyNotRegistered: the server does not list the client's key for the member.
	ErrKeyNotRegistered = errors.New("signing key is not registered for the member")
	// ErrGap: a stream skipped counters.
	ErrGap = errors.New("gap in event stream")
	// ErrOutOfOrder: a stream's timestamps did not increase.
	ErrOutOfOrder = errors.New("event timestamps out of order")
	// ErrAlreadySubscribed: the client already runs a subscription.
	ErrAlreadySubscribed = errors.New("client already subscribed")
	// ErrExpired: the max sequencing time passed (by the sequencer's clock) without a receipt.
	ErrExpired = errors.New("max sequencing time passed without a receipt")
	// ErrDuplicateMessageID: a send with this message id is already pending.
	ErrDuplicateMessageID = errors.New("message id already pending")
	// ErrNotResolved: Handle.Result was called before the handle resolved.
	ErrNotResolved = errors.New("send not resolved yet")
	// ErrClosed: the client was closed.
	ErrClosed = errors.New("driver client closed")
)

// SendError is an immediate refusal of a submission by the sequencer node.
type SendError struct {
	Code seqapi.Code
	Err  error
}

func (e *SendError) Error() string { return fmt.Sprintf("submission refused (%s): %v", e.Code, e.Err) }

func (e *SendError) Unwrap() error { return e.Err }

// DeliverError is a DELIVER_ERROR event answering a submission: it was sequenced but not
// delivered.
type DeliverError struct {
	Event *pb.SequencedEvent
}

func (e *DeliverError) Error() string {
	return fmt.Sprintf("message %q not delivered: %s: %s", e.Event.MessageId, e.Event.ErrorCode, e.Event.ErrorReason)
}

// Code returns the reason code of the event.
func (e *DeliverError) Code() pb.ErrorCode { return e.Event.ErrorCode }
