package driver

import (
	"errors"
	"fmt"
)

// Verification failures (verified reads): what a node served does not match the chain
// as the light client verified it. A *VerifyError wraps one of them.
var (
	// ErrEventProof: an event, or its proof, does not match the app hash of the verified
	// header after its block (altered bytes, another member's event, another counter).
	ErrEventProof = errors.New("event does not match its proof against the verified chain")
	// ErrOmittedEvents: the node's proven stream head shows events it did not deliver
	// within the wait (withheld or dropped events), or its head proof is invalid.
	ErrOmittedEvents = errors.New("node withholds events of the member's stream")
	// ErrHeaderVerification: the light client refused a header the node served (forged,
	// from a fork, not signed by the trusted validators) or the trust root.
	ErrHeaderVerification = errors.New("header verification failed")
)

// VerifyError is one verification failure with its context: the endpoint that served
// the data, the member, and the counter and height concerned (0 when none).
type VerifyError struct {
	Kind     error // ErrEventProof, ErrOmittedEvents or ErrHeaderVerification
	Endpoint string
	Member   string
	Counter  int64
	Height   int64
	Err      error
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("%v: endpoint %s, member %s, counter %d, height %d: %v", e.Kind, e.Endpoint, e.Member, e.Counter, e.Height, e.Err)
}

// Unwrap returns the kind and the cause, so that errors.Is matches either.
func (e *VerifyError) Unwrap() []error { return []error{e.Kind, e.Err} }

// isVerifyError reports whether err is a verification failure.
func isVerifyError(err error) bool {
	var ve *VerifyError
	return errors.As(err, &ve)
}
