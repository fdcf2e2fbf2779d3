package ledgerapi_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

func TestGetUpdateByOffsetAndID(t *testing.T) {
	e := newEnv(t, nil)
	e.scenario(t) // 1: proposal to alice, 2: alice accepts, 3: proposal to bob
	names := e.names(t)
	tests := []struct {
		user    string
		parties []string
		offset  int64
		want    string // summary, or the NotFound message
	}{
		{"alice", nil, 2, "2 +Iou(10.0) -IouProposal(10.0)"},
		{"auditor", nil, 1, "1 +IouProposal(10.0)"},
		{"bob", nil, 3, "3 +IouProposal(20.0)"},
		{"participant_admin", []string{string(bob)}, 3, "3 +IouProposal(20.0)"},
		// Invisible and unknown updates answer alike.
		{"alice", nil, 3, "no update with offset 3 visible to user alice"},
		{"alice", nil, 9, "no update with offset 9 visible to user alice"},
		{"alice", nil, 0, "no update with offset 0 visible to user alice"},
		{"participant_admin", []string{string(bob)}, 2, "no update with offset 2 visible to user participant_admin"},
	}
	for _, tt := range tests {
		byOffset, err := e.upd.GetUpdateByOffset(as(t, tt.user), &pb.GetUpdateByOffsetRequest{Offset: tt.offset, Parties: tt.parties})
		if tt.want[0] == 'n' {
			wantCode(t, err, codes.NotFound, tt.want)
		} else if err != nil {
			t.Fatalf("%s offset %d: %v", tt.user, tt.offset, err)
		} else if got := summary(byOffset.Update, names); got != tt.want {
			t.Fatalf("%s offset %d: got %q, want %q", tt.user, tt.offset, got, tt.want)
		}
		// By id: the same answer, with the same message shape.
		id := "root" + string(rune('0'+tt.offset))
		byID, err := e.upd.GetUpdateById(as(t, tt.user), &pb.GetUpdateByIdRequest{UpdateId: id, Parties: tt.parties})
		if tt.want[0] == 'n' {
			wantCode(t, err, codes.NotFound, "no update with id \""+id+"\" visible to user "+tt.user)
			continue
		}
		if err != nil {
			t.Fatalf("%s id %s: %v", tt.user, id, err)
		}
		if got := summary(byID.Update, names); got != tt.want || byID.Update.RootHash != id {
			t.Fatalf("%s id %s: got %q (root %s), want %q", tt.user, id, got, byID.Update.RootHash, tt.want)
		}
	}
}

func TestGetUpdateNeedsReadRights(t *testing.T) {
	e := newEnv(t, nil)
	e.scenario(t)
	_, err := e.upd.GetUpdateByOffset(as(t, "bank"), &pb.GetUpdateByOffsetRequest{Offset: 1, Parties: []string{string(alice)}})
	wantCode(t, err, codes.PermissionDenied, "user bank lacks CanReadAs(Alice::1220bb)")
	_, err = e.upd.GetUpdateById(as(t, "bank"), &pb.GetUpdateByIdRequest{UpdateId: "root1", Parties: []string{string(alice)}})
	wantCode(t, err, codes.PermissionDenied, "user bank lacks CanReadAs(Alice::1220bb)")
	_, err = e.upd.GetUpdateById(as(t, "alice"), &pb.GetUpdateByIdRequest{})
	wantCode(t, err, codes.NotFound, `no update with id "" visible to user alice`)
}
