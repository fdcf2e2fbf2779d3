package api

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// GetTrafficState returns the caller's traffic account (traffic control, see package
// abci/core), read from committed state: the base traffic refilled up to the last
// sequencing time. A member may read only its own: another member's traffic would tell
// how active it is.
func (q sequencerService) GetTrafficState(ctx context.Context, req *pb.GetTrafficStateRequest) (*pb.GetTrafficStateResponse, error) {
	member, _ := AuthenticatedMember(ctx)
	if req.Member != member {
		return nil, status.Errorf(codes.PermissionDenied, "member %s may not read the traffic state of %s", member, req.Member)
	}
	m := q.s.backend.Machine()
	if m == nil {
		return nil, status.Error(codes.Unavailable, "chain not initialized yet")
	}
	r, release := q.s.backend.Snapshot()
	defer release()
	st, err := m.TrafficStateOf(r, member)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "read traffic state: %v", err)
	}
	return &pb.GetTrafficStateResponse{
		Member: member, Metered: st.Metered, Maintenance: st.Maintenance, AsOfMicros: st.AsOfMicros,
		BaseRateBytesPerSecond: st.BaseRate, BurstBytes: st.Burst, RecipientCostBytes: st.RecipientCost,
		BaseTrafficRemaining: st.BaseRemaining, ExtraTrafficLimit: st.ExtraLimit, ExtraTrafficConsumed: st.ExtraConsumed,
		ExtraTrafficRemaining: st.ExtraRemaining(), TotalConsumed: st.TotalConsumed, LastChargeMicros: st.LastChargeMicros,
	}, nil
}
