package ledgerapi_test

import (
	"maps"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/cometsync/cometsync/participant/ledgerapi"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// UpdatePartyDetails sets a hosted party's display name and annotations (merging them);
// ListKnownParties and GetParties return them; they are stored, not only answered.
func TestUpdatePartyDetails(t *testing.T) {
	e := newEnv(t, nil)
	admin := as(t, "participant_admin")
	resp, err := e.party.UpdatePartyDetails(admin, &pb.UpdatePartyDetailsRequest{
		PartyDetails: &pb.PartyDetails{Party: string(alice), DisplayName: "Alice A.", Annotations: map[string]string{"desk": "fx", "tier": "1"}},
		UpdateMask:   []string{"display_name", "annotations"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := resp.PartyDetails; d.DisplayName != "Alice A." || !d.IsLocal || !maps.Equal(d.Annotations, map[string]string{"desk": "fx", "tier": "1"}) {
		t.Fatalf("answered %+v", d)
	}
	// Only annotations: the display name stays; an empty value removes a key.
	if _, err := e.party.UpdatePartyDetails(admin, &pb.UpdatePartyDetailsRequest{
		PartyDetails: &pb.PartyDetails{Party: string(alice), DisplayName: "ignored", Annotations: map[string]string{"tier": ""}},
		UpdateMask:   []string{"annotations"},
	}); err != nil {
		t.Fatal(err)
	}
	got, err := e.party.GetParties(admin, &pb.GetPartiesRequest{Parties: []string{string(alice), "Nobody::1220dd", string(bob)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.PartyDetails) != 2 || got.PartyDetails[0].Party != string(alice) || got.PartyDetails[1].Party != string(bob) {
		t.Fatalf("GetParties: %+v", got.PartyDetails)
	}
	if d := got.PartyDetails[0]; d.DisplayName != "Alice A." || !maps.Equal(d.Annotations, map[string]string{"desk": "fx"}) {
		t.Fatalf("stored alice: %+v", d)
	}
	if d := got.PartyDetails[1]; d.DisplayName != "" || len(d.Annotations) != 0 {
		t.Fatalf("bob has no details: %+v", d)
	}
	list, err := e.party.ListKnownParties(admin, &pb.ListKnownPartiesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.PartyDetails) != len(list.Parties) {
		t.Fatalf("list: %d details for %d parties", len(list.PartyDetails), len(list.Parties))
	}
	for i, d := range list.PartyDetails {
		if d.Party != list.Parties[i] || (d.Party == string(alice)) != (d.DisplayName == "Alice A.") {
			t.Fatalf("list details %d: %+v", i, d)
		}
	}
	// A failed update changes nothing and says why.
	_, err = e.party.UpdatePartyDetails(admin, &pb.UpdatePartyDetailsRequest{
		PartyDetails: &pb.PartyDetails{Party: string(alice), DisplayName: "x"}, UpdateMask: []string{"display_name", "party"}})
	wantReason(t, err, codes.InvalidArgument, ledgerapi.ReasonInvalidPartyDetails, map[string]string{"field": "update_mask", "party": string(alice), "update_mask_path": "party"})
	_, err = e.party.UpdatePartyDetails(as(t, "alice"), &pb.UpdatePartyDetailsRequest{
		PartyDetails: &pb.PartyDetails{Party: string(alice), DisplayName: "x"}, UpdateMask: []string{"display_name"}})
	wantReason(t, err, codes.PermissionDenied, ledgerapi.ReasonPermissionDenied, map[string]string{"user_id": "alice"})
	got, err = e.party.GetParties(admin, &pb.GetPartiesRequest{Parties: []string{string(alice)}})
	if err != nil || got.PartyDetails[0].DisplayName != "Alice A." {
		t.Fatalf("after failed updates: %+v, %v", got, err)
	}
}

// GetLedgerApiVersion answers the API version and the binary's versions to any user.
func TestGetLedgerApiVersion(t *testing.T) {
	e := newEnv(t, nil)
	resp, err := pb.NewVersionServiceClient(e.conn).GetLedgerApiVersion(as(t, "auditor"), &pb.GetLedgerApiVersionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := ledgerapi.BinaryVersion()
	if resp.Version != ledgerapi.APIVersion || resp.ProtocolVersion != "cometsync/1" || resp.ModuleVersion != want.Module || resp.Commit != want.Commit {
		t.Fatalf("version %+v, want %+v", resp, want)
	}
	_, err = pb.NewVersionServiceClient(e.conn).GetLedgerApiVersion(t.Context(), &pb.GetLedgerApiVersionRequest{})
	wantReason(t, err, codes.Unauthenticated, ledgerapi.ReasonMissingToken, nil)
}
