package ledgerapi_test

import (
	"maps"
	"testing"

	"google.golang.org/grpc/codes"

	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

func TestUpdateUser(t *testing.T) {
	e := newEnv(t, nil)
	admin := as(t, "participant_admin")
	update := func(u *pb.User, mask ...string) (*pb.User, error) {
		resp, err := e.user.UpdateUser(admin, &pb.UpdateUserRequest{User: u, UpdateMask: mask})
		if err != nil {
			return nil, err
		}
		return resp.User, nil
	}
	// Primary party and annotations; fields outside the mask stay.
	u, err := update(&pb.User{Id: "alice", PrimaryParty: string(alice), IsDeactivated: true,
		Annotations: map[string]string{"team": "ops", "tier": "gold"}}, "primary_party", "annotations")
	if err != nil {
		t.Fatal(err)
	}
	if u.PrimaryParty != string(alice) || u.IsDeactivated || !maps.Equal(u.Annotations, map[string]string{"team": "ops", "tier": "gold"}) {
		t.Fatalf("after update: %+v", u)
	}
	// Annotations merge; an empty value removes a key. Stored, not only answered.
	if _, err := update(&pb.User{Id: "alice", Annotations: map[string]string{"tier": "", "site": "zrh"}}, "annotations"); err != nil {
		t.Fatal(err)
	}
	got, err := e.user.GetUser(admin, &pb.GetUserRequest{UserId: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got.User.Annotations, map[string]string{"team": "ops", "site": "zrh"}) || got.User.PrimaryParty != string(alice) {
		t.Fatalf("stored: %+v", got.User)
	}
	// Deactivation refuses the user's tokens from the next call on; reactivation restores.
	if _, err := e.state.GetLedgerEnd(as(t, "alice"), &pb.GetLedgerEndRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := update(&pb.User{Id: "alice", IsDeactivated: true}, "is_deactivated"); err != nil {
		t.Fatal(err)
	}
	_, err = e.state.GetLedgerEnd(as(t, "alice"), &pb.GetLedgerEndRequest{})
	wantCode(t, err, codes.Unauthenticated, "user deactivated: alice")
	if _, err := update(&pb.User{Id: "alice"}, "is_deactivated"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.state.GetLedgerEnd(as(t, "alice"), &pb.GetLedgerEndRequest{}); err != nil {
		t.Fatalf("after reactivation: %v", err)
	}
}

func TestUpdateUserErrors(t *testing.T) {
	e := newEnv(t, nil)
	admin := as(t, "participant_admin")
	tests := []struct {
		user *pb.User
		mask []string
		code codes.Code
		msg  string
	}{
		{&pb.User{Id: "nobody"}, []string{"primary_party"}, codes.NotFound, "user not found: nobody"},
		{nil, []string{"primary_party"}, codes.InvalidArgument, "invalid user id: empty"},
		{&pb.User{Id: "alice"}, nil, codes.InvalidArgument, "update_mask is empty"},
		{&pb.User{Id: "alice"}, []string{"id"}, codes.InvalidArgument, `update_mask path "id" cannot be updated`},
		{&pb.User{Id: "alice", PrimaryParty: "not a party"}, []string{"primary_party"}, codes.InvalidArgument, "user alice: primary party"},
		{&pb.User{Id: "alice", Annotations: map[string]string{"": "x"}}, []string{"annotations"}, codes.InvalidArgument, "empty annotation key"},
		{&pb.User{Id: "participant_admin", IsDeactivated: true}, []string{"is_deactivated"}, codes.InvalidArgument, "cannot deactivate itself"},
	}
	for _, tt := range tests {
		_, err := e.user.UpdateUser(admin, &pb.UpdateUserRequest{User: tt.user, UpdateMask: tt.mask})
		wantCode(t, err, tt.code, tt.msg)
	}
	// A failed update changes nothing.
	u, err := e.user.GetUser(admin, &pb.GetUserRequest{UserId: "alice"})
	if err != nil || u.User.PrimaryParty != "" || len(u.User.Annotations) != 0 {
		t.Fatalf("alice after failed updates: %+v, %v", u, err)
	}
}
