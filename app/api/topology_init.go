package api

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/abci/core"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// DownloadTopologyStateForInit returns the committed topology state, read in one
// snapshot with the height and app hash it belongs to and, once a block is committed, the
// block's app-hash inputs and the genesis members root that prove it.
func (q sequencerService) DownloadTopologyStateForInit(ctx context.Context, req *pb.DownloadTopologyStateForInitRequest) (*pb.DownloadTopologyStateForInitResponse, error) {
	member, _ := AuthenticatedMember(ctx)
	if req.Member != member {
		return nil, status.Errorf(codes.PermissionDenied, "member %s may not download topology as %s", member, req.Member)
	}
	m := q.s.backend.Machine()
	if m == nil {
		return nil, status.Error(codes.Unavailable, "chain not initialized yet")
	}
	r, release := q.s.backend.Snapshot()
	defer release()
	meta, err := core.ReadMeta(r)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "read head: %v", err)
	}
	st, err := core.ReadTopologyState(r, m.Genesis())
	if err != nil {
		return nil, status.Errorf(codes.Internal, "read topology state: %v", err)
	}
	res := &pb.DownloadTopologyStateForInitResponse{State: st, Height: meta.Height, AppHash: meta.AppHash, GenesisMembersRoot: m.GenesisMembersRoot()}
	if meta.Height > 0 { // what proves the state against the app hash (seqproof.VerifyTopology)
		if res.Block, err = core.ReadAppHashInputs(r, meta.Height); err != nil {
			return nil, status.Errorf(codes.Internal, "read app hash inputs of height %d: %v", meta.Height, err)
		}
	}
	return res, nil
}
