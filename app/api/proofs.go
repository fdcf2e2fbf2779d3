package api

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/abci/core"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// ErrNoLightBlock is what a LightBlockSource wraps for a height it has no light block
// of: pruned from its block store, or not committed yet.
var ErrNoLightBlock = errors.New("no light block at this height")

// BlockPrunedError is what a LightBlockSource returns for a height below its block
// store's base: the block existed and was pruned. It wraps ErrNoLightBlock.
type BlockPrunedError struct{ Height, Earliest int64 }

func (e *BlockPrunedError) Error() string {
	return fmt.Sprintf("light block of height %d was pruned: the block store holds heights from %d on", e.Height, e.Earliest)
}

// Unwrap makes errors.Is(err, ErrNoLightBlock) hold.
func (e *BlockPrunedError) Unwrap() error { return ErrNoLightBlock }

// LightBlockSource is what SequencerProofService needs from CometBFT. A Backend that
// implements it serves the service (the node assembly does, over its block and state
// stores); otherwise the service answers Unimplemented.
type LightBlockSource interface {
	// LightBlock returns the tendermint.types.LightBlock of height (0: the latest with a
	// commit) as protobuf bytes, with the chain id; an error wrapping ErrNoLightBlock for
	// a pruned or future height.
	LightBlock(height int64) (lightBlock []byte, chainID string, err error)
	// LatestLightBlockHeight is the latest height whose commit the node has (0: none).
	LatestLightBlockHeight() int64
}

// proofService implements SequencerProofService. It needs no token: a stream head reveals
// a member's event count only, a light block nothing private.
type proofService struct{ s *Server }

func (q proofService) source() (LightBlockSource, error) {
	lb, ok := q.s.backend.(LightBlockSource)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "this node serves no light blocks")
	}
	return lb, nil
}

// GetLightBlock serves the signed header (with its commit) and validator set of a height.
func (q proofService) GetLightBlock(_ context.Context, req *pb.GetLightBlockRequest) (*pb.GetLightBlockResponse, error) {
	src, err := q.source()
	if err != nil {
		return nil, err
	}
	if req.Height < 0 {
		return nil, status.Errorf(codes.InvalidArgument, "height %d is negative", req.Height)
	}
	b, chainID, err := src.LightBlock(req.Height)
	var pruned *BlockPrunedError
	if errors.As(err, &pruned) {
		st := status.New(codes.FailedPrecondition, err.Error())
		if d, derr := st.WithDetails(&errdetails.ErrorInfo{Domain: seqapi.Codespace, Reason: seqapi.ReasonBlocksPruned,
			Metadata: map[string]string{seqapi.MetadataEarliestHeight: strconv.FormatInt(pruned.Earliest, 10)}}); derr == nil {
			st = d
		}
		return nil, st.Err()
	}
	if errors.Is(err, ErrNoLightBlock) {
		return nil, status.Error(codes.NotFound, err.Error())
	}
	if err != nil {
		return nil, status.Errorf(codes.Internal, "light block at height %d: %v", req.Height, err)
	}
	return &pb.GetLightBlockResponse{LightBlock: b, ChainId: chainID}, nil
}

// GetStreamHead proves a member's next counter after a height whose app hash a header
// with a commit carries: by default the latest, one below the latest light block.
func (q proofService) GetStreamHead(_ context.Context, req *pb.GetStreamHeadRequest) (*pb.GetStreamHeadResponse, error) {
	src, err := q.source()
	if err != nil {
		return nil, err
	}
	if req.Member == "" {
		return nil, status.Error(codes.InvalidArgument, "member is empty")
	}
	m := q.s.backend.Machine()
	if m == nil {
		return nil, status.Error(codes.Unavailable, "chain not initialized yet")
	}
	provable := src.LatestLightBlockHeight() - 1
	h := req.Height
	if h == 0 {
		h = provable
	}
	if h <= 0 || h > provable {
		return nil, status.Errorf(codes.NotFound, "stream head at height %d: no header with a commit carries its app hash yet (latest provable height %d)", req.Height, provable)
	}
	r, release := q.s.backend.Snapshot()
	defer release()
	res, err := m.ProveStreamHeadAt(r, req.Member, h)
	if errors.Is(err, core.ErrNotProvable) {
		return nil, status.Error(codes.NotFound, err.Error())
	}
	if err != nil {
		return nil, status.Errorf(codes.Internal, "prove stream head of %s at %d: %v", req.Member, h, err)
	}
	return res, nil
}

// proofCacheBlocks bounds the blocks whose proofs the subscriptions share.
const proofCacheBlocks = 256

// proofCache keeps the BlockProofs of recent blocks, so that the subscribers of a block
// load its leaves and build its tree once.
type proofCache struct {
	mu     sync.Mutex
	blocks map[int64]*core.BlockProof
	order  []int64 // heights in insertion order, oldest first
}

func newProofCache() *proofCache { return &proofCache{blocks: make(map[int64]*core.BlockProof)} }

func (c *proofCache) get(r core.Reader, height int64) (*core.BlockProof, error) {
	c.mu.Lock()
	bp := c.blocks[height]
	c.mu.Unlock()
	if bp != nil {
		return bp, nil
	}
	bp, err := core.LoadBlockProof(r, height)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.blocks[height]; !ok {
		c.blocks[height] = bp
		c.order = append(c.order, height)
		if len(c.order) > proofCacheBlocks {
			delete(c.blocks, c.order[0])
			c.order = c.order[1:]
		}
	}
	return bp, nil
}

// proveEvents returns one proof per event of member's stream, in order.
func (s *Server) proveEvents(member string, evs []*pb.SequencedEvent) ([]*pb.EventProof, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	r, release := s.backend.Snapshot()
	if r == nil {
		return nil, errors.New("no committed state")
	}
	defer release()
	proofs := make([]*pb.EventProof, len(evs))
	for i, ev := range evs {
		bp, err := s.proofs.get(r, ev.Height)
		if err != nil {
			return nil, fmt.Errorf("proof of event %d: %w", ev.Counter, err)
		}
		if proofs[i], err = bp.Prove(member, ev); err != nil {
			return nil, err
		}
	}
	return proofs, nil
}
