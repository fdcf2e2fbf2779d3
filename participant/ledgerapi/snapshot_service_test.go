package ledgerapi_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/participant/ledgerapi"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// TestSnapshotServiceRefusals: only a participant admin may export or list imports;
// malformed requests are InvalidArgument; a backend that does not export snapshots
// answers FailedPrecondition ACS_SNAPSHOT_UNAVAILABLE. (The export itself runs on a
// real participant: party-replication.txtar in cmd/cometsync.)
func TestSnapshotServiceRefusals(t *testing.T) {
	e := newEnv(t, nil)
	c := pb.NewSnapshotServiceClient(e.conn)
	if _, err := c.ExportAcsSnapshot(as(t, "alice"), &pb.ExportAcsSnapshotRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("alice exports: %v, want PermissionDenied", err)
	}
	if _, err := c.ListPartyImports(as(t, "alice"), &pb.ListPartyImportsRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("alice lists imports: %v, want PermissionDenied", err)
	}
	for _, req := range []*pb.ExportAcsSnapshotRequest{
		{Tick: -1},
		{Tick: 5, NextTick: true, Parties: []string{string(alice)}},
		{NextTick: true},
		{NewHost: "PAR::q::1", Parties: []string{string(alice)}},
		{NewHost: "PAR::q::1", NextTick: true, Parties: []string{string(alice), string(bob)}},
	} {
		if _, err := c.ExportAcsSnapshot(as(t, "participant_admin"), req); status.Code(err) != codes.InvalidArgument || ledgerapi.ReasonOf(err) != ledgerapi.ReasonInvalidArgument {
			t.Errorf("%v: %v, want InvalidArgument", req, err)
		}
	}
	_, err := c.ExportAcsSnapshot(as(t, "participant_admin"), &pb.ExportAcsSnapshotRequest{})
	if status.Code(err) != codes.FailedPrecondition || ledgerapi.ReasonOf(err) != ledgerapi.ReasonSnapshotUnavailable {
		t.Fatalf("export from a backend without snapshots: %v, want FailedPrecondition %s", err, ledgerapi.ReasonSnapshotUnavailable)
	}
}
