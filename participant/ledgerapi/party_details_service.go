package ledgerapi

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/cometsync/cometsync/ledger"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// The update_mask paths UpdatePartyDetails accepts.
const (
	pathDisplayName      = "display_name"
	pathPartyAnnotations = "annotations"
)

// GetParties returns the details of the requested parties hosted here, in request
// order; ParticipantAdmin only. Malformed parties are INVALID_ARGUMENT, well-formed ones
// not hosted here are left out (as Daml's GetParties does).
func (p partyService) GetParties(ctx context.Context, req *pb.GetPartiesRequest) (*pb.GetPartiesResponse, error) {
	who, err := callerOf(ctx)
	if err == nil {
		err = who.requireAdmin("GetParties")
	}
	if err != nil {
		return nil, statusOf(err)
	}
	hosted := p.s.backend.HostedParties()
	resp := &pb.GetPartiesResponse{}
	for i, s := range req.Parties {
		party := ledger.Party(s)
		if err := ledger.ValidateParty(party); err != nil {
			return nil, statusOf(withMeta(fmt.Errorf("%w: parties[%d]: %v", ErrInvalidArgument, i, err), MetaField, "parties", MetaParty, s))
		}
		if !slices.Contains(hosted, party) {
			continue
		}
		d, err := p.s.users.PartyDetails(party)
		if err != nil {
			return nil, statusOf(err)
		}
		resp.PartyDetails = append(resp.PartyDetails, partyDetailsPB(d))
	}
	return resp, nil
}

// UpdatePartyDetails changes the display name or annotations of a party hosted here;
// ParticipantAdmin only. A party not hosted here is PARTY_NOT_KNOWN.
func (p partyService) UpdatePartyDetails(ctx context.Context, req *pb.UpdatePartyDetailsRequest) (*pb.UpdatePartyDetailsResponse, error) {
	who, err := callerOf(ctx)
	if err == nil {
		err = who.requireAdmin("UpdatePartyDetails")
	}
	if err != nil {
		return nil, statusOf(err)
	}
	in := req.GetPartyDetails()
	party := ledger.Party(in.GetParty())
	if err := ledger.ValidateParty(party); err != nil {
		return nil, statusOf(withMeta(fmt.Errorf("%w: party_details.party: %v", ErrInvalidPartyDetails, err), MetaField, "party_details.party", MetaParty, string(party)))
	}
	if err := checkPartyMask(req.UpdateMask); err != nil {
		return nil, statusOf(withMeta(err, MetaField, "update_mask", MetaParty, string(party)))
	}
	if !slices.Contains(p.s.backend.HostedParties(), party) {
		return nil, statusOf(withMeta(fmt.Errorf("%w: party %s is not hosted on this participant", ErrPartyNotKnown, party), MetaParty, string(party)))
	}
	d, err := p.s.users.UpdatePartyDetails(party, func(d *PartyDetails) {
		for _, path := range req.UpdateMask {
			switch path {
			case pathDisplayName:
				d.DisplayName = in.DisplayName
			case pathPartyAnnotations:
				d.Annotations = mergeAnnotations(d.Annotations, in.Annotations)
			}
		}
	})
	if err != nil {
		return nil, statusOf(withMeta(err, MetaParty, string(party)))
	}
	p.s.logger.Info("party details updated", "party", party, "fields", req.UpdateMask, "by", who.user.ID)
	return &pb.UpdatePartyDetailsResponse{PartyDetails: partyDetailsPB(d)}, nil
}

// checkPartyMask requires a non-empty mask of known paths; errors wrap
// ErrInvalidPartyDetails.
func checkPartyMask(mask []string) error {
	if len(mask) == 0 {
		return fmt.Errorf("%w: update_mask is empty (want some of %s, %s)", ErrInvalidPartyDetails, pathDisplayName, pathPartyAnnotations)
	}
	for _, path := range mask {
		if path != pathDisplayName && path != pathPartyAnnotations {
			return withMeta(fmt.Errorf("%w: update_mask path %q cannot be updated (want %s or %s)", ErrInvalidPartyDetails, path, pathDisplayName, pathPartyAnnotations),
				MetaUpdateMask, path)
		}
	}
	return nil
}

func partyDetailsPB(d PartyDetails) *pb.PartyDetails {
	return &pb.PartyDetails{Party: string(d.Party), DisplayName: d.DisplayName, Annotations: maps.Clone(d.Annotations), IsLocal: true}
}
