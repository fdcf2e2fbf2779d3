package topology

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cometsync/cometsync/crypto"
)

// Sentinel errors. Every error returned by this package wraps exactly one of them (an
// UnauthorizedError also wraps ErrThresholdNotMet when a decentralized namespace lacks
// owner authorizations), so callers branch with errors.Is.
var (
	// ErrMalformed: bytes that do not decode as the expected message.
	ErrMalformed = errors.New("malformed topology transaction")
	// ErrInvalidMapping: a mapping field is missing, out of range or inconsistent.
	ErrInvalidMapping = errors.New("invalid topology mapping")
	// ErrInvalidSignature: a signature is malformed, by an unknown key or does not verify.
	ErrInvalidSignature = errors.New("invalid topology signature")
	// ErrUnauthorized: the signatures do not authorize the transaction.
	ErrUnauthorized = errors.New("unauthorized topology transaction")
	// ErrThresholdNotMet: a decentralized namespace has too few owner authorizations.
	ErrThresholdNotMet = errors.New("decentralized namespace threshold not met")
	// ErrSerialMismatch: the serial is not the previous serial of the unique key + 1.
	ErrSerialMismatch = errors.New("topology serial mismatch")
	// ErrNoSuchMapping: a REMOVE of a mapping that does not exist.
	ErrNoSuchMapping = errors.New("no such topology mapping")
	// ErrInvalidTime: timestamps that go backwards or an effective time before the
	// sequencing time.
	ErrInvalidTime = errors.New("invalid topology timestamps")
	// ErrCorruptState: a serialized state that cannot be restored.
	ErrCorruptState = errors.New("corrupt topology state")
)

// MappingError names the offending field of an invalid mapping.
type MappingError struct {
	Field  string
	Reason string
}

func (e *MappingError) Error() string {
	return fmt.Sprintf("%v: %s: %s", ErrInvalidMapping, e.Field, e.Reason)
}

// Unwrap returns ErrInvalidMapping.
func (e *MappingError) Unwrap() error { return ErrInvalidMapping }

func invalid(field, format string, args ...any) error {
	return &MappingError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// SignatureError says which signature is bad and why.
type SignatureError struct {
	Key    crypto.Fingerprint
	Reason string
}

func (e *SignatureError) Error() string {
	return fmt.Sprintf("%v: key %s: %s", ErrInvalidSignature, e.Key, e.Reason)
}

// Unwrap returns ErrInvalidSignature.
func (e *SignatureError) Unwrap() error { return ErrInvalidSignature }

// SerialError reports the serial a unique key expected.
type SerialError struct {
	Key      UniqueKey
	Expected uint64
	Got      uint64
}

func (e *SerialError) Error() string {
	return fmt.Sprintf("%v: %s: expected serial %d, got %d", ErrSerialMismatch, e.Key, e.Expected, e.Got)
}

// Unwrap returns ErrSerialMismatch.
func (e *SerialError) Unwrap() error { return ErrSerialMismatch }

// NoSuchMappingError names the unique key a REMOVE found no mapping for.
type NoSuchMappingError struct{ Key UniqueKey }

func (e *NoSuchMappingError) Error() string {
	return fmt.Sprintf("%v: %s", ErrNoSuchMapping, e.Key)
}

// Unwrap returns ErrNoSuchMapping.
func (e *NoSuchMappingError) Unwrap() error { return ErrNoSuchMapping }

// ThresholdShortfall is a decentralized namespace lacking owner authorizations.
type ThresholdShortfall struct {
	Namespace  crypto.Fingerprint
	Threshold  int
	Authorized int
}

// UnauthorizedError lists what is still missing to authorize a transaction.
type UnauthorizedError struct {
	// Namespaces are the required namespaces no signature authorizes (sorted). A
	// decentralized namespace below its threshold is listed here and in Thresholds.
	Namespaces []crypto.Fingerprint
	// Keys are required signing keys (proof of possession) that did not sign (sorted).
	Keys []crypto.Fingerprint
	// Thresholds are the decentralized namespaces below their threshold.
	Thresholds []ThresholdShortfall
}

func (e *UnauthorizedError) Error() string {
	var parts []string
	for _, ns := range e.Namespaces {
		parts = append(parts, "namespace "+ns.Short())
	}
	for _, k := range e.Keys {
		parts = append(parts, "signature of key "+k.Short())
	}
	for _, t := range e.Thresholds {
		parts = append(parts, fmt.Sprintf("%s has %d of %d owners", t.Namespace.Short(), t.Authorized, t.Threshold))
	}
	return fmt.Sprintf("%v: missing %s", ErrUnauthorized, strings.Join(parts, ", "))
}

// Unwrap returns ErrUnauthorized, and ErrThresholdNotMet when Thresholds is not empty.
func (e *UnauthorizedError) Unwrap() []error {
	if len(e.Thresholds) > 0 {
		return []error{ErrUnauthorized, ErrThresholdNotMet}
	}
	return []error{ErrUnauthorized}
}

// TimeError explains an ErrInvalidTime.
type TimeError struct{ Reason string }

func (e *TimeError) Error() string { return fmt.Sprintf("%v: %s", ErrInvalidTime, e.Reason) }

// Unwrap returns ErrInvalidTime.
func (e *TimeError) Unwrap() error { return ErrInvalidTime }
