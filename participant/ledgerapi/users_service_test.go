package ledgerapi_test

import (
	"slices"
	"testing"

	"google.golang.org/grpc/codes"

	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

func actAs(p string) *pb.Right  { return &pb.Right{Kind: pb.Right_KIND_CAN_ACT_AS, Party: p} }
func readAs(p string) *pb.Right { return &pb.Right{Kind: pb.Right_KIND_CAN_READ_AS, Party: p} }

var adminRight = &pb.Right{Kind: pb.Right_KIND_PARTICIPANT_ADMIN}

func rightStrings(rs []*pb.Right) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Kind.String()+":"+r.Party)
	}
	return out
}

func wantRights(t *testing.T, got []*pb.Right, want ...string) {
	t.Helper()
	g := rightStrings(got)
	if len(g) != len(want) {
		t.Fatalf("rights %v, want %v", g, want)
	}
	for i := range g {
		if g[i] != want[i] {
			t.Fatalf("rights %v, want %v", g, want)
		}
	}
}

func TestUserManagementNeedsAdmin(t *testing.T) {
	e := newEnv(t, nil)
	ctx := as(t, "alice")
	calls := map[string]func() error{
		"CreateUser": func() error {
			_, err := e.user.CreateUser(ctx, &pb.CreateUserRequest{User: &pb.User{Id: "eve"}, Rights: []*pb.Right{adminRight}})
			return err
		},
		"ListUsers": func() error { _, err := e.user.ListUsers(ctx, &pb.ListUsersRequest{}); return err },
		"UpdateUser": func() error {
			_, err := e.user.UpdateUser(ctx, &pb.UpdateUserRequest{User: &pb.User{Id: "bob", IsDeactivated: true}, UpdateMask: []string{"is_deactivated"}})
			return err
		},
		"DeleteUser": func() error {
			_, err := e.user.DeleteUser(ctx, &pb.DeleteUserRequest{UserId: "bob"})
			return err
		},
		"GrantUserRights": func() error {
			_, err := e.user.GrantUserRights(ctx, &pb.GrantUserRightsRequest{UserId: "alice", Rights: []*pb.Right{adminRight}})
			return err
		},
		"RevokeUserRights": func() error {
			_, err := e.user.RevokeUserRights(ctx, &pb.RevokeUserRightsRequest{UserId: "bob", Rights: []*pb.Right{actAs("Bob::1220cc")}})
			return err
		},
		"GetUser of another user": func() error {
			_, err := e.user.GetUser(ctx, &pb.GetUserRequest{UserId: "bob"})
			return err
		},
		"ListUserRights of another user": func() error {
			_, err := e.user.ListUserRights(ctx, &pb.ListUserRightsRequest{UserId: "bob"})
			return err
		},
	}
	for what, call := range calls {
		wantCode(t, call(), codes.PermissionDenied, what+" needs ParticipantAdmin, which user alice lacks")
	}
	// A user reads itself, by id or with an empty id.
	for _, id := range []string{"alice", ""} {
		u, err := e.user.GetUser(ctx, &pb.GetUserRequest{UserId: id})
		if err != nil || u.User.Id != "alice" {
			t.Fatalf("GetUser(%q) = %v, %v", id, u, err)
		}
		rs, err := e.user.ListUserRights(ctx, &pb.ListUserRightsRequest{UserId: id})
		if err != nil {
			t.Fatal(err)
		}
		wantRights(t, rs.Rights, "KIND_CAN_ACT_AS:Alice::1220bb")
	}
	// Nothing changed.
	rs, err := e.users.Rights("alice")
	if err != nil || len(rs) != 1 {
		t.Fatalf("alice's rights %v, %v", rs, err)
	}
}

func TestUserManagementByAdmin(t *testing.T) {
	e := newEnv(t, nil)
	ctx := as(t, "participant_admin")
	created, err := e.user.CreateUser(ctx, &pb.CreateUserRequest{
		User:   &pb.User{Id: "carol", PrimaryParty: "Carol::1220dd", Annotations: map[string]string{"team": "ops"}},
		Rights: []*pb.Right{readAs("Alice::1220bb"), actAs("Carol::1220dd")},
	})
	if err != nil || created.User.Id != "carol" || created.User.Annotations["team"] != "ops" {
		t.Fatalf("create: %v, %v", created, err)
	}
	_, err = e.user.CreateUser(ctx, &pb.CreateUserRequest{User: &pb.User{Id: "carol"}})
	wantCode(t, err, codes.AlreadyExists, "user already exists: carol")
	_, err = e.user.CreateUser(ctx, &pb.CreateUserRequest{User: &pb.User{Id: "Carol"}})
	wantCode(t, err, codes.InvalidArgument, `invalid user id: "Carol": character 'C' at 0 not allowed`)
	_, err = e.user.CreateUser(ctx, &pb.CreateUserRequest{User: &pb.User{Id: "dave"}, Rights: []*pb.Right{{Kind: pb.Right_KIND_CAN_ACT_AS}}})
	wantCode(t, err, codes.InvalidArgument, "invalid right: CanActAs")
	_, err = e.user.CreateUser(ctx, &pb.CreateUserRequest{User: &pb.User{Id: "dave"}, Rights: []*pb.Right{{}}})
	wantCode(t, err, codes.InvalidArgument, "invalid right: kind KIND_UNSPECIFIED")

	// The new user can log in and sees its own rights, sorted.
	rs, err := e.user.ListUserRights(as(t, "carol"), &pb.ListUserRightsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantRights(t, rs.Rights, "KIND_CAN_ACT_AS:Carol::1220dd", "KIND_CAN_READ_AS:Alice::1220bb")

	// Grant returns only the new rights; revoke only those actually held.
	g, err := e.user.GrantUserRights(ctx, &pb.GrantUserRightsRequest{UserId: "carol",
		Rights: []*pb.Right{readAs("Alice::1220bb"), adminRight, readAs("Bob::1220cc")}})
	if err != nil {
		t.Fatal(err)
	}
	wantRights(t, g.Rights, "KIND_CAN_READ_AS:Bob::1220cc", "KIND_PARTICIPANT_ADMIN:")
	r, err := e.user.RevokeUserRights(ctx, &pb.RevokeUserRightsRequest{UserId: "carol",
		Rights: []*pb.Right{actAs("Carol::1220dd"), actAs("Alice::1220bb")}})
	if err != nil {
		t.Fatal(err)
	}
	wantRights(t, r.Rights, "KIND_CAN_ACT_AS:Carol::1220dd")
	rs, err = e.user.ListUserRights(ctx, &pb.ListUserRightsRequest{UserId: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	wantRights(t, rs.Rights, "KIND_CAN_READ_AS:Alice::1220bb", "KIND_CAN_READ_AS:Bob::1220cc", "KIND_PARTICIPANT_ADMIN:")
	_, err = e.user.GrantUserRights(ctx, &pb.GrantUserRightsRequest{UserId: "ghost", Rights: []*pb.Right{adminRight}})
	wantCode(t, err, codes.NotFound, "user not found: ghost")

	list, err := e.user.ListUsers(ctx, &pb.ListUsersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range list.Users {
		ids = append(ids, u.Id)
	}
	if got, want := ids, []string{"alice", "auditor", "bank", "bob", "carol", "participant_admin"}; !slices.Equal(got, want) {
		t.Fatalf("users %v, want %v", got, want)
	}

	if _, err := e.user.DeleteUser(ctx, &pb.DeleteUserRequest{UserId: "carol"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.user.GetUser(ctx, &pb.GetUserRequest{UserId: "carol"})
	wantCode(t, err, codes.NotFound, "user not found: carol")
	_, err = e.user.DeleteUser(ctx, &pb.DeleteUserRequest{UserId: "carol"})
	wantCode(t, err, codes.NotFound, "user not found: carol")
	// A deleted user's tokens stop working.
	_, err = e.state.GetLedgerEnd(as(t, "carol"), &pb.GetLedgerEndRequest{})
	wantCode(t, err, codes.Unauthenticated, `user "carol" is unknown`)
}
