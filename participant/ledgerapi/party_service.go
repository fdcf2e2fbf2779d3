package ledgerapi

import (
	"context"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

type partyService struct{ s *Server }

// AllocateParty hosts a new party here; ParticipantAdmin only.
func (p partyService) AllocateParty(ctx context.Context, req *pb.AllocatePartyRequest) (*pb.AllocatePartyResponse, error) {
	who, err := callerOf(ctx)
	if err == nil {
		err = who.requireAdmin("AllocateParty")
	}
	if err != nil {
		return nil, statusOf(err)
	}
	if req.PartyIdHint == "" {
		return nil, status.Error(codes.InvalidArgument, "party_id_hint is empty")
	}
	party, err := p.s.backend.AllocateParty(ctx, req.PartyIdHint)
	if err != nil {
		return nil, statusOf(err)
	}
	p.s.logger.Info("party allocated", "party", party, "by", who.user.ID)
	return &pb.AllocatePartyResponse{Party: string(party)}, nil
}

// ListKnownParties lists the parties hosted here, sorted; ParticipantAdmin only.
func (p partyService) ListKnownParties(ctx context.Context, _ *pb.ListKnownPartiesRequest) (*pb.ListKnownPartiesResponse, error) {
	who, err := callerOf(ctx)
	if err == nil {
		err = who.requireAdmin("ListKnownParties")
	}
	if err != nil {
		return nil, statusOf(err)
	}
	var out []string
	for _, party := range p.s.backend.HostedParties() {
		out = append(out, string(party))
	}
	slices.Sort(out)
	return &pb.ListKnownPartiesResponse{Parties: slices.Compact(out)}, nil
}
