package crypto

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidIdentifier is returned for malformed identifiers and fingerprints.
var ErrInvalidIdentifier = errors.New("invalid identifier")

// Delimiter separates the parts of a unique identifier.
const Delimiter = "::"

// MaxNameLength bounds the name part of a unique identifier.
const MaxNameLength = 185

// UID is a unique identifier name::namespace; the namespace is a key fingerprint.
type UID struct {
	Name      string
	Namespace Fingerprint
}

// NewUID validates name and namespace and returns the identifier.
func NewUID(name string, namespace Fingerprint) (UID, error) {
	if err := validateName(name); err != nil {
		return UID{}, err
	}
	if _, err := ParseFingerprint(string(namespace)); err != nil {
		return UID{}, err
	}
	return UID{Name: name, Namespace: namespace}, nil
}

// ParseUID parses name::namespace.
func ParseUID(s string) (UID, error) {
	name, ns, ok := strings.Cut(s, Delimiter)
	if !ok {
		return UID{}, fmt.Errorf("%w: %q: want name::namespace", ErrInvalidIdentifier, s)
	}
	return NewUID(name, Fingerprint(ns))
}

// String returns name::namespace.
func (u UID) String() string { return u.Name + Delimiter + string(u.Namespace) }

// IsZero reports whether u is the zero value.
func (u UID) IsZero() bool { return u.Name == "" && u.Namespace == "" }

func validateName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty name", ErrInvalidIdentifier)
	}
	if len(name) > MaxNameLength {
		return fmt.Errorf("%w: name of %d bytes exceeds %d", ErrInvalidIdentifier, len(name), MaxNameLength)
	}
	for i, r := range name {
		ok := r == '-' || r == '_' || r == '.' || r == '+' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return fmt.Errorf("%w: name %q: character %q at %d not allowed (use letters, digits, - _ . +)", ErrInvalidIdentifier, name, r, i)
		}
	}
	return nil
}

// MemberKind is the kind of a synchronizer member.
type MemberKind string

// Member kinds, as they prefix a member id.
const (
	KindParticipant MemberKind = "PAR"
	KindMediator    MemberKind = "MED"
	KindSequencer   MemberKind = "SEQ"
)

// Member identifies a synchronizer member: KIND::name::namespace.
type Member struct {
	Kind MemberKind
	UID  UID
}

// NewMember returns the member of kind k with the given name and namespace.
func NewMember(k MemberKind, name string, namespace Fingerprint) (Member, error) {
	if err := validateKind(k); err != nil {
		return Member{}, err
	}
	uid, err := NewUID(name, namespace)
	if err != nil {
		return Member{}, err
	}
	return Member{Kind: k, UID: uid}, nil
}

// ParseMember parses KIND::name::namespace.
func ParseMember(s string) (Member, error) {
	kind, rest, ok := strings.Cut(s, Delimiter)
	if !ok {
		return Member{}, fmt.Errorf("%w: member %q: want PAR::, MED:: or SEQ:: followed by name::namespace", ErrInvalidIdentifier, s)
	}
	if err := validateKind(MemberKind(kind)); err != nil {
		return Member{}, fmt.Errorf("member %q: %w", s, err)
	}
	uid, err := ParseUID(rest)
	if err != nil {
		return Member{}, fmt.Errorf("member %q: %w", s, err)
	}
	return Member{Kind: MemberKind(kind), UID: uid}, nil
}

func validateKind(k MemberKind) error {
	switch k {
	case KindParticipant, KindMediator, KindSequencer:
		return nil
	}
	return fmt.Errorf("%w: member kind %q (want PAR, MED or SEQ)", ErrInvalidIdentifier, string(k))
}

// String returns KIND::name::namespace.
func (m Member) String() string { return string(m.Kind) + Delimiter + m.UID.String() }
