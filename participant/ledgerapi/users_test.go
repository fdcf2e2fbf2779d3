package ledgerapi

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/internal/testseed"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/protocol"
)

func openDB(t *testing.T, dir string) *badger.DB {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func newUsers(t *testing.T) (*Users, *badger.DB) {
	t.Helper()
	db := openDB(t, t.TempDir())
	t.Cleanup(func() { db.Close() })
	u, err := NewUsers(db)
	if err != nil {
		t.Fatal(err)
	}
	return u, db
}

func TestValidateUserID(t *testing.T) {
	tests := []struct {
		id  string
		err string // "" means valid
	}{
		{"participant_admin", ""},
		{"a", ""},
		{"alice@example.com", ""},
		{"0-9^$.!`-#+'~_|:", ""},
		{strings.Repeat("x", 128), ""},
		{"", "invalid user id: empty"},
		{strings.Repeat("x", 129), "129 characters exceed 128"},
		{"Alice", `character 'A' at 0 not allowed`},
		{"al ice", `character ' ' at 2 not allowed`},
		{"alice/bob", `character '/' at 5 not allowed`},
		{"ali\u00e7e", `character 'ç' at 3 not allowed`},
		{"a%b", `character '%' at 1 not allowed`},
	}
	for _, tt := range tests {
		err := ValidateUserID(tt.id)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%q: %v", tt.id, err)
		case tt.err != "" && (!errors.Is(err, ErrInvalidUserID) || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%q: got %v, want ErrInvalidUserID containing %q", tt.id, err, tt.err)
		}
	}
}

func TestUsersPersistAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	users, _ := NewUsers(db)
	alice := User{ID: "alice", PrimaryParty: "Alice::1220bb", Annotations: map[string]string{"b": "2", "a": "1"}}
	if _, err := users.Create(alice, CanReadAs("Bob::1220cc"), CanActAs("Alice::1220bb"), CanActAs("Alice::1220bb")); err != nil {
		t.Fatal(err)
	}
	if err := EnsureAdmin(users, DefaultAdminUser); err != nil {
		t.Fatal(err)
	}
	// The stored form is deterministic: sorted keys, sorted and distinct rights.
	var raw string
	_ = db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte("ledgerapi/users/alice"))
		if err != nil {
			t.Fatal(err)
		}
		v, _ := item.ValueCopy(nil)
		raw = string(v)
		return nil
	})
	want := `{"user":{"id":"alice","primaryParty":"Alice::1220bb","annotations":{"a":"1","b":"2"}},` +
		`"rights":[{"kind":"CanActAs","party":"Alice::1220bb"},{"kind":"CanReadAs","party":"Bob::1220cc"}]}`
	if raw != want {
		t.Fatalf("stored\n%s\nwant\n%s", raw, want)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openDB(t, dir)
	defer db.Close()
	users, _ = NewUsers(db)
	got, err := users.Get("alice")
	if err != nil || got.PrimaryParty != alice.PrimaryParty || got.Annotations["b"] != "2" {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	rs, err := users.Rights(DefaultAdminUser)
	if err != nil || !slices.Equal(rs, []Right{ParticipantAdmin}) {
		t.Fatalf("admin rights %v, %v", rs, err)
	}
}

func TestUsersOnlyTouchTheirPrefix(t *testing.T) {
	users, db := newUsers(t)
	err := db.Update(func(txn *badger.Txn) error {
		if err := txn.Set([]byte("ledgerapi/usersX"), []byte("not a user")); err != nil {
			return err
		}
		return txn.Set([]byte("other/key"), []byte("x"))
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"zed", "bob", "alice"} {
		if _, err := users.Create(User{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := users.List()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range list {
		ids = append(ids, u.ID)
	}
	if !slices.Equal(ids, []string{"alice", "bob", "zed"}) {
		t.Fatalf("List = %v", ids)
	}
}

func TestUsersErrors(t *testing.T) {
	users, _ := newUsers(t)
	if _, err := users.Create(User{ID: "alice"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"duplicate", second(users.Create(User{ID: "alice"})), ErrUserExists},
		{"bad id", second(users.Create(User{ID: "Alice"})), ErrInvalidUserID},
		{"bad primary party", second(users.Create(User{ID: "bob", PrimaryParty: "has space"})), ErrInvalidUser},
		{"party right without party", second(users.Create(User{ID: "bob"}, CanActAs(""))), ErrInvalidRight},
		{"admin with party", second(users.Create(User{ID: "bob"}, Right{Kind: KindParticipantAdmin, Party: "P::1"})), ErrInvalidRight},
		{"unknown kind", second(users.Grant("alice", Right{Kind: 9})), ErrInvalidRight},
		{"get unknown", second(users.Get("ghost")), ErrUserNotFound},
		{"rights unknown", second(users.Rights("ghost")), ErrUserNotFound},
		{"grant unknown", second(users.Grant("ghost", ParticipantAdmin)), ErrUserNotFound},
		{"revoke unknown", second(users.Revoke("ghost", ParticipantAdmin)), ErrUserNotFound},
		{"delete unknown", users.Delete("ghost"), ErrUserNotFound},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, tt.err, tt.want)
		}
	}
	if _, err := users.Get("bob"); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("a failed Create stored bob: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

func TestEnsureAdminKeepsExistingUser(t *testing.T) {
	users, _ := newUsers(t)
	if _, err := users.Create(User{ID: DefaultAdminUser}, CanReadAs("Alice::1")); err != nil {
		t.Fatal(err)
	}
	if err := EnsureAdmin(users, DefaultAdminUser); err != nil {
		t.Fatal(err)
	}
	rs, _ := users.Rights(DefaultAdminUser)
	if !slices.Equal(rs, []Right{CanReadAs("Alice::1")}) {
		t.Fatalf("EnsureAdmin changed an existing user's rights: %v", rs)
	}
	if err := EnsureAdmin(users, "Bad Id"); !errors.Is(err, ErrInvalidUserID) {
		t.Fatalf("EnsureAdmin(bad id) = %v", err)
	}
}

// TestGrantRevokeRandom checks Grant and Revoke against a set of rights kept in a map.
func TestGrantRevokeRandom(t *testing.T) {
	seed := testseed.Seed(t)
	rng := rand.New(rand.NewPCG(seed, 0))
	users, _ := newUsers(t)
	if _, err := users.Create(User{ID: "u"}); err != nil {
		t.Fatal(err)
	}
	universe := []Right{ParticipantAdmin}
	for _, p := range []ledger.Party{"A::1", "B::1", "C::1"} {
		universe = append(universe, CanActAs(p), CanReadAs(p))
	}
	model := map[Right]bool{}
	for step := range 300 {
		var rs []Right
		for range rng.IntN(4) {
			rs = append(rs, universe[rng.IntN(len(universe))])
		}
		grant := rng.IntN(2) == 0
		var wantChanged []Right
		for _, r := range universe {
			if slices.Contains(rs, r) && model[r] != grant {
				wantChanged = append(wantChanged, r)
				model[r] = grant
			}
		}
		slices.SortFunc(wantChanged, compareRights)
		var got []Right
		var err error
		if grant {
			got, err = users.Grant("u", rs...)
		} else {
			got, err = users.Revoke("u", rs...)
		}
		if err != nil || !slices.Equal(got, wantChanged) {
			t.Fatalf("seed %d step %d: grant=%v %v returned %v, %v; want %v", seed, step, grant, rs, got, err, wantChanged)
		}
		var want []Right
		for _, r := range universe {
			if model[r] {
				want = append(want, r)
			}
		}
		slices.SortFunc(want, compareRights)
		if have, _ := users.Rights("u"); !slices.Equal(have, want) {
			t.Fatalf("seed %d step %d: rights %v, want %v", seed, step, have, want)
		}
	}
}

func TestStatusCodes(t *testing.T) {
	tests := []struct {
		err    error
		code   codes.Code
		reason string
		md     map[string]string
	}{
		{fmt.Errorf("submit: %w", context.Canceled), codes.Canceled, ReasonCancelled, nil},
		{fmt.Errorf("submit: %w", context.DeadlineExceeded), codes.DeadlineExceeded, ReasonDeadlineExceeded, nil},
		{withMeta(fmt.Errorf("%w: mediator said no", ErrRejected), MetaCommandID, "c-1"), codes.Aborted, ReasonCommandRejected, map[string]string{"command_id": "c-1"}},
		{fmt.Errorf("%w: x", ErrTokenExpired), codes.Unauthenticated, ReasonTokenExpired, nil},
		{fmt.Errorf("%w: x", ErrPermissionDenied), codes.PermissionDenied, ReasonPermissionDenied, nil},
		{fmt.Errorf("%w: x", ErrUserNotFound), codes.NotFound, ReasonUserNotFound, nil},
		{fmt.Errorf("prepare: %w", &ledger.ContractError{Err: ledger.ErrContractNotFound, ContractID: "00ab"}), codes.NotFound, ReasonContractNotFound, map[string]string{"contract_id": "00ab"}},
		{&ledger.TypeError{Where: "x"}, codes.InvalidArgument, ReasonTypeMismatch, nil},
		{&ledger.LookupError{Name: "iou:Nope", Err: ledger.ErrUnknownTemplate}, codes.InvalidArgument, ReasonTemplateNotFound, nil},
		{&ledger.AuthorizationError{Missing: ledger.NewPartySet("B::1", "A::1")}, codes.FailedPrecondition, ReasonAuthorizationFailed, map[string]string{"parties": "A::1,B::1"}},
		{&protocol.UnhostedPartyError{Party: "Nobody::1220"}, codes.InvalidArgument, ReasonPartyNotKnown, map[string]string{"party": "Nobody::1220"}},
		{fmt.Errorf("%w: user u: primary party: %w", ErrInvalidUser, ledger.ErrTypeMismatch), codes.InvalidArgument, ReasonInvalidUser, nil},
		{withMeta(withMeta(ErrInvalidArgument, MetaField, "inner", MetaOffset, "-1"), MetaField, "outer"), codes.InvalidArgument, ReasonInvalidArgument, map[string]string{"field": "outer", "offset": "-1"}},
		{errors.New("disk on fire"), codes.Internal, ReasonInternal, nil},
		{withMeta(fmt.Errorf("submit: %w", status.Error(codes.Unavailable, "sequencer down")), MetaCommandID, "c-2"), codes.Unavailable, "UNAVAILABLE", map[string]string{"command_id": "c-2"}},
	}
	for _, tt := range tests {
		st, _ := status.FromError(statusOf(tt.err))
		info := ErrorInfoOf(st.Err())
		if st.Code() != tt.code || info == nil || info.Reason != tt.reason || info.Domain != ErrorDomain || !maps.Equal(info.Metadata, tt.md) {
			t.Errorf("statusOf(%v) = %v %v, want %v %s %v", tt.err, st.Code(), info, tt.code, tt.reason, tt.md)
		}
	}
}
