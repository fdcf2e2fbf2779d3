package ledgerapi

import (
	"context"

	"github.com/cometsync/cometsync/participant/commitments"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// CommitmentOutcomes is implemented by a Backend whose participant exchanges ACS
// commitments: the recent comparisons, oldest first.
type CommitmentOutcomes interface {
	CommitmentOutcomes() []commitments.Outcome
}

type commitmentService struct{ s *Server }

// ListCommitmentOutcomes lists the recent ACS commitment comparisons (ParticipantAdmin).
func (c commitmentService) ListCommitmentOutcomes(ctx context.Context, req *pb.ListCommitmentOutcomesRequest) (*pb.ListCommitmentOutcomesResponse, error) {
	who, err := callerOf(ctx)
	if err != nil {
		return nil, statusOf(err)
	}
	if err := who.requireAdmin("listing ACS commitment outcomes"); err != nil {
		return nil, statusOf(err)
	}
	out := &pb.ListCommitmentOutcomesResponse{}
	src, ok := c.s.backend.(CommitmentOutcomes)
	if !ok {
		return out, nil
	}
	for _, o := range src.CommitmentOutcomes() {
		if req.MismatchesOnly && o.Match {
			continue
		}
		out.Outcomes = append(out.Outcomes, &pb.CommitmentOutcome{CounterParticipant: o.Counter, PeriodStartMicros: o.Start,
			PeriodEndMicros: o.End, Match: o.Match, Own: o.Own, Theirs: o.Their})
	}
	return out, nil
}
