package lyingnode

import (
	"context"
	"fmt"
	"strconv"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

type proofSvc struct{ n *Node }

func (s *proofSvc) GetStreamHead(ctx context.Context, r *pb.GetStreamHeadRequest) (*pb.GetStreamHeadResponse, error) {
	return s.n.up.proofs.GetStreamHead(forward(ctx), r)
}

// GetLightBlock forwards, then forges or forks the light block as the lie says.
func (s *proofSvc) GetLightBlock(ctx context.Context, r *pb.GetLightBlockRequest) (*pb.GetLightBlockResponse, error) {
	lie := s.n.currentLie()
	if r.Height > 0 && r.Height < lie.ClaimPrunedBelow {
		st := status.New(codes.FailedPrecondition, fmt.Sprintf("light block of height %d was pruned: the block store holds heights from %d on", r.Height, lie.ClaimPrunedBelow))
		st, _ = st.WithDetails(&errdetails.ErrorInfo{Domain: seqapi.Codespace, Reason: seqapi.ReasonBlocksPruned,
			Metadata: map[string]string{seqapi.MetadataEarliestHeight: strconv.FormatInt(lie.ClaimPrunedBelow, 10)}})
		return nil, st.Err()
	}
	res, err := s.n.up.proofs.GetLightBlock(forward(ctx), r)
	if err != nil {
		return nil, err
	}
	if lie.ForgeHeadersFrom == 0 && lie.ForkHeadersFrom == 0 {
		return res, nil
	}
	lb, err := decode(res.LightBlock)
	if err != nil {
		return nil, err
	}
	switch {
	case lie.ForgeHeadersFrom > 0 && lb.Height >= lie.ForgeHeadersFrom:
		lb.Header.AppHash = flipped(lb.Header.AppHash)
	case lie.ForkHeadersFrom > 0 && lb.Height >= lie.ForkHeadersFrom:
		if lb, err = s.n.fork(lb, res.ChainId); err != nil {
			return nil, err
		}
	default:
		return res, nil
	}
	p, err := lb.ToProto()
	if err != nil {
		return nil, err
	}
	if res.LightBlock, err = p.Marshal(); err != nil {
		return nil, err
	}
	return res, nil
}

func decode(b []byte) (*cmttypes.LightBlock, error) {
	var p cmtproto.LightBlock
	if err := p.Unmarshal(b); err != nil {
		return nil, err
	}
	return cmttypes.LightBlockFromProto(&p)
}

func flipped(b []byte) []byte {
	out := append([]byte(nil), b...)
	if len(out) == 0 {
		return []byte{1}
	}
	out[0] ^= 0xff
	return out
}

// forker signs the headers of a fork with a validator key of its own.
type forker struct {
	pv   cmttypes.PrivValidator
	vals *cmttypes.ValidatorSet
}

// fork returns lb as a fork would have it: another app hash, the forker's validator set,
// and a commit the forker signed.
func (n *Node) fork(lb *cmttypes.LightBlock, chainID string) (*cmttypes.LightBlock, error) {
	n.mu.Lock()
	if n.forker == nil {
		pv := cmttypes.NewMockPV()
		pub, err := pv.GetPubKey()
		if err != nil {
			n.mu.Unlock()
			return nil, err
		}
		n.forker = &forker{pv: pv, vals: cmttypes.NewValidatorSet([]*cmttypes.Validator{cmttypes.NewValidator(pub, 10)})}
	}
	f := n.forker
	n.mu.Unlock()
	h := *lb.Header
	h.AppHash = flipped(h.AppHash)
	h.ValidatorsHash, h.NextValidatorsHash = f.vals.Hash(), f.vals.Hash()
	blockID := cmttypes.BlockID{Hash: h.Hash(), PartSetHeader: lb.Commit.BlockID.PartSetHeader}
	votes := cmttypes.NewVoteSet(chainID, h.Height, 0, cmtproto.PrecommitType, f.vals)
	ext, err := cmttypes.MakeExtCommit(blockID, h.Height, 0, votes, []cmttypes.PrivValidator{f.pv}, h.Time, false)
	if err != nil {
		return nil, fmt.Errorf("lying node: sign the fork's commit: %w", err)
	}
	return &cmttypes.LightBlock{SignedHeader: &cmttypes.SignedHeader{Header: &h, Commit: ext.ToCommit()}, ValidatorSet: f.vals}, nil
}
