package protocol

import (
	"errors"
	"fmt"
	"time"

	"github.com/cometsync/cometsync/ledger"
)

// Sentinel errors. Validation failures are reasons for a participant to reject a view;
// callers branch on them with errors.Is, and the typed errors below carry the context.
var (
	// ErrInvalidMetadata: the submission metadata is incomplete or malformed.
	ErrInvalidMetadata = errors.New("invalid transaction metadata")
	// ErrInvalidTransaction: the transaction cannot be prepared (no roots, unknown input).
	ErrInvalidTransaction = errors.New("invalid transaction")
	// ErrMalformedTree: bytes are not a canonical, well-formed transaction tree or message.
	ErrMalformedTree = errors.New("malformed transaction tree")
	// ErrUnknownView: no view at the requested path.
	ErrUnknownView = errors.New("unknown view")
	// ErrRootHashMismatch: the tree a view came in does not hash to the announced root hash.
	ErrRootHashMismatch = errors.New("root hash mismatch")
	// ErrMetadataMismatch: a view disagrees with the transaction metadata.
	ErrMetadataMismatch = errors.New("view disagrees with the metadata")
	// ErrSubViewMismatch: a view's sub-view hashes are not those of its own subtree.
	ErrSubViewMismatch = errors.New("sub-view hash mismatch")
	// ErrWrongInformees: a view's declared informees are not those of its action.
	ErrWrongInformees = errors.New("wrong informees")
	// ErrUnhostedParty: an informee is hosted on no participant.
	ErrUnhostedParty = errors.New("informee hosted on no participant")
	// ErrMissingRecipient: a participant hosting an informee is not a recipient of the view.
	ErrMissingRecipient = errors.New("participant hosting an informee is not a recipient")
	// ErrConformance: the view's data does not conform to its action, or reinterpreting the
	// action fails or differs (the cause is wrapped too).
	ErrConformance = errors.New("view does not conform")
	// ErrLedgerTime: the ledger time is too far from the sequencing time.
	ErrLedgerTime = errors.New("ledger time out of bounds")
)

// MalformedError reports a decoding failure: where in the message and why.
type MalformedError struct {
	Where  string
	Reason string
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("%v: %s: %s", ErrMalformedTree, e.Where, e.Reason)
}

// Unwrap returns ErrMalformedTree.
func (e *MalformedError) Unwrap() error { return ErrMalformedTree }

// RootHashMismatchError reports a tree whose recomputed root hash is not the announced one.
type RootHashMismatchError struct {
	Announced, Computed Hash
}

func (e *RootHashMismatchError) Error() string {
	return fmt.Sprintf("%v: announced %s, tree hashes to %s", ErrRootHashMismatch, e.Announced.Short(), e.Computed.Short())
}

// Unwrap returns ErrRootHashMismatch.
func (e *RootHashMismatchError) Unwrap() error { return ErrRootHashMismatch }

// MetadataMismatchError reports a view field that contradicts the transaction metadata.
type MetadataMismatchError struct {
	View               ViewPath
	Field              string
	InView, InMetadata string
}

func (e *MetadataMismatchError) Error() string {
	return fmt.Sprintf("%v: view %s: %s is %s in the view, %s in the metadata", ErrMetadataMismatch, e.View, e.Field, e.InView, e.InMetadata)
}

// Unwrap returns ErrMetadataMismatch.
func (e *MetadataMismatchError) Unwrap() error { return ErrMetadataMismatch }

// SubViewMismatchError reports a sub-view hash that differs from the one recomputed from
// the parent view's data (or a different number of sub-views).
type SubViewMismatchError struct {
	View     ViewPath
	Index    int // the sub-view, -1 when the counts differ
	Declared string
	Computed string
}

func (e *SubViewMismatchError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("%v: view %s declares %s sub-views, its action has %s", ErrSubViewMismatch, e.View, e.Declared, e.Computed)
	}
	return fmt.Sprintf("%v: view %s sub-view %d: declared %s, computed %s", ErrSubViewMismatch, e.View, e.Index, e.Declared, e.Computed)
}

// Unwrap returns ErrSubViewMismatch.
func (e *SubViewMismatchError) Unwrap() error { return ErrSubViewMismatch }

// InformeeMismatchError reports declared informees that differ from the action's.
type InformeeMismatchError struct {
	View     ViewPath
	Declared []Informee
	Expected []Informee
}

func (e *InformeeMismatchError) Error() string {
	return fmt.Sprintf("%v: view %s declares %v, its action has %v", ErrWrongInformees, e.View, e.Declared, e.Expected)
}

// Unwrap returns ErrWrongInformees.
func (e *InformeeMismatchError) Unwrap() error { return ErrWrongInformees }

// UnhostedPartyError names an informee with no hosting participant.
type UnhostedPartyError struct {
	View  ViewPath
	Party ledger.Party
}

func (e *UnhostedPartyError) Error() string {
	return fmt.Sprintf("%v: view %s: %s", ErrUnhostedParty, e.View, e.Party)
}

// Unwrap returns ErrUnhostedParty.
func (e *UnhostedPartyError) Unwrap() error { return ErrUnhostedParty }

// MissingRecipientError names a participant that hosts an informee of a view and was not
// sent it: the submitter withheld the view.
type MissingRecipientError struct {
	View        ViewPath
	Party       ledger.Party
	Participant string
}

func (e *MissingRecipientError) Error() string {
	return fmt.Sprintf("%v: view %s: %s hosts informee %s", ErrMissingRecipient, e.View, e.Participant, e.Party)
}

// Unwrap returns ErrMissingRecipient.
func (e *MissingRecipientError) Unwrap() error { return ErrMissingRecipient }

// ConformanceError reports a view whose data does not conform: Field names the
// participant data field, Err the cause (a *ledger.MismatchError or an interpretation
// error from reinterpretation), which errors.Is and errors.As also reach.
type ConformanceError struct {
	View  ViewPath
	Field string
	Err   error
}

func (e *ConformanceError) Error() string {
	return fmt.Sprintf("%v: view %s: %s: %v", ErrConformance, e.View, e.Field, e.Err)
}

// Unwrap returns ErrConformance and the cause.
func (e *ConformanceError) Unwrap() []error { return []error{ErrConformance, e.Err} }

// LedgerTimeError reports a ledger time outside [sequencing time - tolerance, sequencing
// time + tolerance].
type LedgerTimeError struct {
	LedgerTime, SequencingTime time.Time
	Tolerance                  time.Duration
}

func (e *LedgerTimeError) Error() string {
	return fmt.Sprintf("%v: ledger time %s is %s from sequencing time %s, tolerance %s", ErrLedgerTime,
		e.LedgerTime.Format(time.RFC3339Nano), e.LedgerTime.Sub(e.SequencingTime), e.SequencingTime.Format(time.RFC3339Nano), e.Tolerance)
}

// Unwrap returns ErrLedgerTime.
func (e *LedgerTimeError) Unwrap() error { return ErrLedgerTime }
