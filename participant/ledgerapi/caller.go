package ledgerapi

import (
	"context"
	"fmt"
	"slices"

	"github.com/cometsync/cometsync/ledger"
)

// caller is the authenticated user of a call with the rights it had when the call began.
type caller struct {
	user   User
	rights []Right // sorted
}

type callerKey struct{}

func withCaller(ctx context.Context, c *caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// callerOf returns the caller the interceptor stored, or an error when the call did not
// pass it (the grpc.Server was built without the server's interceptors).
func callerOf(ctx context.Context) (*caller, error) {
	if c, ok := ctx.Value(callerKey{}).(*caller); ok {
		return c, nil
	}
	return nil, fmt.Errorf("%w (the grpc.Server lacks the Ledger API interceptors)", ErrMissingToken)
}

func (c *caller) has(r Right) bool { return containsRight(c.rights, r) }

func (c *caller) admin() bool { return c.has(ParticipantAdmin) }

// canRead reports whether the caller reads as p: CanReadAs(p), CanActAs(p), or
// ParticipantAdmin (which reads every party).
func (c *caller) canRead(p ledger.Party) bool {
	return c.admin() || c.has(CanReadAs(p)) || c.has(CanActAs(p))
}

// readParties are the parties of the caller's CanReadAs and CanActAs rights.
func (c *caller) readParties() ledger.PartySet {
	var ps []ledger.Party
	for _, r := range c.rights {
		if r.Kind == KindCanActAs || r.Kind == KindCanReadAs {
			ps = append(ps, r.Party)
		}
	}
	return ledger.NewPartySet(ps...)
}

func (c *caller) requireAdmin(what string) error {
	if !c.admin() {
		return withMeta(fmt.Errorf("%w: %s needs ParticipantAdmin, which user %s lacks", ErrPermissionDenied, what, c.user.ID), MetaUserID, c.user.ID)
	}
	return nil
}

// requireAdminOrSelf lets a user look at itself without ParticipantAdmin.
func (c *caller) requireAdminOrSelf(what, id string) error {
	if id == c.user.ID {
		return nil
	}
	return c.requireAdmin(what + " of another user")
}

// requireActAs checks CanActAs for every party; ParticipantAdmin does not imply it.
func (c *caller) requireActAs(parties ledger.PartySet) error {
	for _, p := range parties {
		if !c.has(CanActAs(p)) {
			return withMeta(fmt.Errorf("%w: user %s lacks CanActAs(%s)", ErrPermissionDenied, c.user.ID, p), MetaParty, string(p), MetaUserID, c.user.ID)
		}
	}
	return nil
}

// readFilter decides which contracts the caller sees: those of the requested parties
// (each must be readable), or when none are requested, those of every party the caller
// reads as (everything for ParticipantAdmin).
func (c *caller) readFilter(requested []string) (filter, error) {
	if len(requested) == 0 {
		if c.admin() {
			return filter{all: true}, nil
		}
		ps := c.readParties()
		if len(ps) == 0 {
			return filter{}, withMeta(fmt.Errorf("%w: user %s has no CanReadAs or CanActAs right", ErrPermissionDenied, c.user.ID), MetaUserID, c.user.ID)
		}
		return filter{parties: ps}, nil
	}
	ps := make([]ledger.Party, len(requested))
	for i, p := range requested {
		ps[i] = ledger.Party(p)
		if err := ledger.ValidateParty(ps[i]); err != nil {
			return filter{}, withMeta(fmt.Errorf("%w: parties[%d]: %v", ErrInvalidArgument, i, err), MetaField, "parties", MetaParty, p)
		}
		if !c.canRead(ps[i]) {
			return filter{}, withMeta(fmt.Errorf("%w: user %s lacks CanReadAs(%s) and CanActAs(%s)", ErrPermissionDenied, c.user.ID, p, p), MetaParty, p, MetaUserID, c.user.ID)
		}
	}
	return filter{parties: ledger.NewPartySet(ps...)}, nil
}

// filter selects contracts by their stakeholders.
type filter struct {
	all     bool
	parties ledger.PartySet
}

func (f filter) visible(c *ledger.Contract) bool {
	return f.all || slices.ContainsFunc(c.Stakeholders(), f.parties.Contains)
}
