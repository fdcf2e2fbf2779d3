package testnet

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/cometsync/cometsync/app"
)

// AddNodeOptions describe a non-validator node joining the network.
type AddNodeOptions struct {
	// StateSync restores the application from a peer's snapshot instead of replaying
	// every block; it needs the validators' RPC (Options.RPC) and a committed snapshot.
	StateSync bool
}

// AddNode creates the home of a new full node (not a validator) that knows the genesis
// and all validators as peers, and returns its index; Start(index) runs it.
func (n *Network) AddNode(o AddNodeOptions) (int, error) {
	i := len(n.Homes)
	info, api, err := initHome(filepath.Join(n.Dir, fmt.Sprintf("node%d", i)), i, n.opts)
	if err != nil {
		return 0, err
	}
	genesis, err := os.ReadFile(filepath.Join(n.Homes[0].Home, "config", "genesis.json"))
	if err != nil {
		return 0, err
	}
	if err := os.WriteFile(filepath.Join(info.Home, "config", "genesis.json"), genesis, 0o600); err != nil {
		return 0, err
	}
	cmt, _, err := app.LoadConfig(info.Home)
	if err != nil {
		return 0, err
	}
	var peers []string
	for _, h := range n.Homes {
		peers = append(peers, h.PeerAddress())
	}
	cmt.P2P.PersistentPeers = strings.Join(peers, ",")
	if o.StateSync {
		if err := n.configureStateSync(cmt); err != nil {
			return 0, err
		}
	}
	cmtcfg.WriteConfigFile(filepath.Join(info.Home, "config", "config.toml"), cmt)
	n.mu.Lock()
	n.Homes = append(n.Homes, info)
	n.apis = append(n.apis, api)
	n.nodes = append(n.nodes, nil)
	n.mu.Unlock()
	return i, nil
}

// configureStateSync trusts the latest block of node 0 and uses two validators' RPC
// servers for light-client verification.
func (n *Network) configureStateSync(cmt *cmtcfg.Config) error {
	var rpcs []string
	for i := range n.Homes {
		c, _, err := app.LoadConfig(n.Homes[i].Home)
		if err != nil {
			return err
		}
		if c.RPC.ListenAddress == "" {
			return fmt.Errorf("testnet: state sync needs the validators' RPC (Options.RPC)")
		}
		rpcs = append(rpcs, c.RPC.ListenAddress)
	}
	node := n.Node(0)
	if node == nil {
		return fmt.Errorf("testnet: node 0 must run to pick a trusted header")
	}
	bs := node.CometBFT().BlockStore()
	h := bs.Height()
	meta := bs.LoadBlockMeta(h)
	if meta == nil {
		return fmt.Errorf("testnet: no block at height %d on node 0", h)
	}
	cmt.StateSync.Enable = true
	cmt.StateSync.RPCServers = rpcs[:min(2, len(rpcs))]
	if len(cmt.StateSync.RPCServers) == 1 {
		cmt.StateSync.RPCServers = append(cmt.StateSync.RPCServers, rpcs[0])
	}
	cmt.StateSync.TrustHeight = h
	cmt.StateSync.TrustHash = meta.BlockID.Hash.String()
	cmt.StateSync.TrustPeriod = time.Hour
	cmt.StateSync.DiscoveryTime = 5 * time.Second
	return nil
}
