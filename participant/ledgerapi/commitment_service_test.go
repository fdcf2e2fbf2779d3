package ledgerapi_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/participant/commitments"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// TestListCommitmentOutcomes: a participant admin lists the comparisons (all, or only
// the mismatches); another user is refused.
func TestListCommitmentOutcomes(t *testing.T) {
	e := newEnv(t, nil)
	e.backend.outcomes = []commitments.Outcome{
		{Counter: "PAR::q::1", Start: 1, End: 2, Match: true, Own: []byte{1}, Their: []byte{1}},
		{Counter: "PAR::q::1", Start: 2, End: 5, Match: false, Own: []byte{1}, Their: []byte{2}},
	}
	c := pb.NewCommitmentServiceClient(e.conn)
	all, err := c.ListCommitmentOutcomes(as(t, "participant_admin"), &pb.ListCommitmentOutcomesRequest{})
	if err != nil || len(all.Outcomes) != 2 || !all.Outcomes[0].Match || all.Outcomes[1].PeriodEndMicros != 5 {
		t.Fatalf("all outcomes: %v %v", all, err)
	}
	bad, err := c.ListCommitmentOutcomes(as(t, "participant_admin"), &pb.ListCommitmentOutcomesRequest{MismatchesOnly: true})
	if err != nil || len(bad.Outcomes) != 1 || bad.Outcomes[0].Match || string(bad.Outcomes[0].Theirs) != "\x02" {
		t.Fatalf("mismatches: %v %v", bad, err)
	}
	if _, err := c.ListCommitmentOutcomes(as(t, "alice"), &pb.ListCommitmentOutcomesRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("alice: %v", err)
	}
}
