package ledgerapi

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cometsync/cometsync/ledger"
)

// MaxUserIDLength bounds the length of a user id (the Daml limit).
const MaxUserIDLength = 128

// userIDSymbols are the characters besides [a-z0-9] allowed in a user id.
const userIDSymbols = "@^$.!`-#+'~_|:"

// ValidateUserID checks the Daml user id rule: 1 to 128 characters of
// [a-z0-9@^$.!`\-#+'~_|:]. Errors wrap ErrInvalidUserID and name the offending character.
func ValidateUserID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty", ErrInvalidUserID)
	}
	if len(id) > MaxUserIDLength {
		return fmt.Errorf("%w: %d characters exceed %d", ErrInvalidUserID, len(id), MaxUserIDLength)
	}
	for i, r := range id {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && !strings.ContainsRune(userIDSymbols, r) {
			return fmt.Errorf("%w: %q: character %q at %d not allowed (want [a-z0-9%s])", ErrInvalidUserID, id, r, i, userIDSymbols)
		}
	}
	return nil
}

// User is a Ledger API user: the subject of tokens. PrimaryParty is informational (the
// CLI's default party); what a user may do is decided by its rights only.
type User struct {
	ID           string            `json:"id"`
	PrimaryParty ledger.Party      `json:"primaryParty,omitempty"`
	Deactivated  bool              `json:"deactivated,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

// Validate checks the id, the primary party (when set) and the annotation keys.
func (u User) Validate() error {
	if err := ValidateUserID(u.ID); err != nil {
		return err
	}
	if u.PrimaryParty != "" {
		if err := ledger.ValidateParty(u.PrimaryParty); err != nil {
			return fmt.Errorf("%w: user %s: primary party: %w", ErrInvalidUser, u.ID, err)
		}
	}
	for k := range u.Annotations {
		if k == "" {
			return fmt.Errorf("%w: user %s: empty annotation key", ErrInvalidUser, u.ID)
		}
	}
	return nil
}

func (u User) clone() User {
	u.Annotations = maps.Clone(u.Annotations)
	return u
}

// RightKind is the kind of a user right.
type RightKind uint8

// Right kinds.
const (
	// KindCanActAs lets the user submit commands acting as the party (and read as it).
	KindCanActAs RightKind = 1
	// KindCanReadAs lets the user read the contracts and updates the party sees.
	KindCanReadAs RightKind = 2
	// KindParticipantAdmin lets the user manage parties and users and read everything;
	// it does not let the user act as any party.
	KindParticipantAdmin RightKind = 3
)

var rightKindNames = map[RightKind]string{
	KindCanActAs: "CanActAs", KindCanReadAs: "CanReadAs", KindParticipantAdmin: "ParticipantAdmin",
}

// String returns CanActAs, CanReadAs or ParticipantAdmin.
func (k RightKind) String() string {
	if n, ok := rightKindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("RightKind(%d)", k)
}

// MarshalText implements encoding.TextMarshaler.
func (k RightKind) MarshalText() ([]byte, error) {
	if _, ok := rightKindNames[k]; !ok {
		return nil, fmt.Errorf("%w: kind %d", ErrInvalidRight, k)
	}
	return []byte(k.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *RightKind) UnmarshalText(b []byte) error {
	for kind, name := range rightKindNames {
		if name == string(b) {
			*k = kind
			return nil
		}
	}
	return fmt.Errorf("%w: kind %q", ErrInvalidRight, b)
}

// Right is one right of a user. Party is set for CanActAs and CanReadAs only.
type Right struct {
	Kind  RightKind    `json:"kind"`
	Party ledger.Party `json:"party,omitempty"`
}

// ParticipantAdmin is the participant administration right.
var ParticipantAdmin = Right{Kind: KindParticipantAdmin}

// CanActAs returns the right to act (and read) as p.
func CanActAs(p ledger.Party) Right { return Right{Kind: KindCanActAs, Party: p} }

// CanReadAs returns the right to read as p.
func CanReadAs(p ledger.Party) Right { return Right{Kind: KindCanReadAs, Party: p} }

// String returns e.g. CanActAs(Alice::1220...) or ParticipantAdmin.
func (r Right) String() string {
	if r.Kind == KindParticipantAdmin {
		return r.Kind.String()
	}
	return r.Kind.String() + "(" + string(r.Party) + ")"
}

// Validate checks the kind and that exactly the party rights carry a valid party.
func (r Right) Validate() error {
	switch r.Kind {
	case KindCanActAs, KindCanReadAs:
		if err := ledger.ValidateParty(r.Party); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInvalidRight, r.Kind, err)
		}
	case KindParticipantAdmin:
		if r.Party != "" {
			return fmt.Errorf("%w: ParticipantAdmin takes no party (got %q)", ErrInvalidRight, r.Party)
		}
	default:
		return fmt.Errorf("%w: unknown kind %d", ErrInvalidRight, r.Kind)
	}
	return nil
}

func compareRights(a, b Right) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Party, b.Party))
}

// normalizeRights validates rs and returns them sorted (by kind, then party) and distinct.
func normalizeRights(rs []Right) ([]Right, error) {
	for _, r := range rs {
		if err := r.Validate(); err != nil {
			return nil, err
		}
	}
	out := slices.Clone(rs)
	slices.SortFunc(out, compareRights)
	return slices.Compact(out), nil
}
