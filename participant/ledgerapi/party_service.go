package ledgerapi

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
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
		return nil, statusOf(withMeta(fmt.Errorf("%w: party_id_hint is empty", ErrInvalidArgument), MetaField, "party_id_hint"))
	}
	party, err := p.s.backend.AllocateParty(ctx, req.PartyIdHint)
	if errors.Is(err, crypto.ErrInvalidIdentifier) {
		err = fmt.Errorf("%w: party_id_hint %q: %w", ErrInvalidArgument, req.PartyIdHint, err)
	}
	if err != nil {
		return nil, statusOf(withMeta(err, MetaPartyIDHint, req.PartyIdHint))
	}
	p.s.logger.Info("party allocated", "party", party, "by", who.user.ID)
	return &pb.AllocatePartyResponse{Party: string(party)}, nil
}

// ListKnownParties lists the parties hosted here, sorted, a page at a time;
// ParticipantAdmin only.
func (p partyService) ListKnownParties(ctx context.Context, req *pb.ListKnownPartiesRequest) (*pb.ListKnownPartiesResponse, error) {
	who, err := callerOf(ctx)
	if err == nil {
		err = who.requireAdmin("ListKnownParties")
	}
	if err != nil {
		return nil, statusOf(err)
	}
	pg, err := parsePage(req.PageSize, req.PageToken)
	if err != nil {
		return nil, statusOf(err)
	}
	var all []string
	for _, party := range p.s.backend.HostedParties() {
		all = append(all, string(party))
	}
	slices.Sort(all)
	out, next := page(slices.Compact(all), func(s string) string { return s }, pg)
	resp := &pb.ListKnownPartiesResponse{Parties: out, NextPageToken: next}
	for _, party := range out {
		d, err := p.s.users.PartyDetails(ledger.Party(party))
		if err != nil {
			return nil, statusOf(err)
		}
		resp.PartyDetails = append(resp.PartyDetails, partyDetailsPB(d))
	}
	return resp, nil
}
