package app

import (
	"fmt"
	"sync"

	sm "github.com/cometbft/cometbft/state"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cometsync/cometsync/app/api"
)

var _ api.LightBlockSource = (*Node)(nil)

// lightStateStore is CometBFT's state store of a started node (validator sets by
// height), which cmtnode.Node does not expose but its RPC environment holds.
type lightStateStore struct {
	once  sync.Once
	store sm.Store
	err   error
}

func (n *Node) stateStore() (sm.Store, error) {
	n.light.once.Do(func() {
		env, err := n.cmt.ConfigureRPC()
		if err != nil {
			n.light.err = fmt.Errorf("CometBFT state store: %w", err)
			return
		}
		n.light.store = env.StateStore
	})
	return n.light.store, n.light.err
}

// LatestLightBlockHeight is the height of the latest block in CometBFT's block store,
// whose commit is the seen commit.
func (n *Node) LatestLightBlockHeight() int64 { return n.cmt.BlockStore().Height() }

// LightBlock returns the light block of height (0: the latest) from CometBFT's block and
// state stores: the header, the block's commit (from block height+1's last commit, or the
// seen commit while there is no such block yet) and the validator set at height.
func (n *Node) LightBlock(height int64) ([]byte, string, error) {
	bs := n.cmt.BlockStore()
	base, latest := bs.Base(), bs.Height()
	if height == 0 {
		height = latest
	}
	if height > 0 && height < base {
		return nil, "", &api.BlockPrunedError{Height: height, Earliest: base}
	}
	if height < base || height > latest || height <= 0 {
		return nil, "", fmt.Errorf("%w: height %d, the block store holds %d to %d", api.ErrNoLightBlock, height, base, latest)
	}
	meta := bs.LoadBlockMeta(height)
	commit := bs.LoadBlockCommit(height)
	if commit == nil {
		commit = bs.LoadSeenCommit(height)
	}
	if meta == nil || commit == nil {
		return nil, "", fmt.Errorf("%w: height %d pruned or not stored with its commit", api.ErrNoLightBlock, height)
	}
	ss, err := n.stateStore()
	if err != nil {
		return nil, "", err
	}
	vals, err := ss.LoadValidators(height)
	if err != nil {
		return nil, "", fmt.Errorf("%w: validators of height %d: %v", api.ErrNoLightBlock, height, err)
	}
	chainID := n.cmt.GenesisDoc().ChainID
	lb := &cmttypes.LightBlock{SignedHeader: &cmttypes.SignedHeader{Header: &meta.Header, Commit: commit}, ValidatorSet: vals}
	if err := lb.ValidateBasic(chainID); err != nil {
		return nil, "", fmt.Errorf("light block of height %d: %w", height, err)
	}
	p, err := lb.ToProto()
	if err != nil {
		return nil, "", err
	}
	b, err := p.Marshal()
	if err != nil {
		return nil, "", err
	}
	return b, chainID, nil
}
