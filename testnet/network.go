package testnet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/app"
	"github.com/cometsync/cometsync/crypto"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
)

// MemberSpec names a member to create keys for and put in the genesis.
type MemberSpec struct {
	Kind          crypto.MemberKind
	Name          string
	MediatorGroup uint32
	// Key is the member's signing key (its namespace key); nil generates one.
	Key *crypto.SigningPrivateKey
}

// Member is a created member with its private signing key.
type Member struct {
	ID  string
	Key crypto.SigningPrivateKey
}

// Options configure New.
type Options struct {
	// Dir holds the node homes (node0, node1, ...). It must exist.
	Dir        string
	Validators int
	Members    []MemberSpec
	// Parameters override the synchronizer defaults when non-nil.
	Parameters *core.Parameters
	// Slow selects the production consensus timeouts instead of the fast test ones.
	Slow bool
	// Permissioned selects the permissioned onboarding policy (default: open).
	Permissioned bool
	// RPC enables CometBFT's RPC server on each node.
	RPC bool
	// SnapshotInterval makes every node take a state-sync snapshot each this many blocks.
	SnapshotInterval int64
	// SnapshotKeepRecent overrides how many snapshots each node keeps (0: the default).
	SnapshotKeepRecent int
	// Owners, when positive, makes the synchronizer namespace a decentralized namespace
	// of that many owners (new keys, written to DIR/owners/owner<k>.json) with threshold
	// OwnerThreshold (default: a majority); 0 keeps a single namespace key.
	Owners         int
	OwnerThreshold uint32
	// Listen, when set, gives node i's listen addresses (host:port each) instead of free
	// loopback ports; rpc is used only with RPC.
	Listen func(i int) (p2p, rpc, api string)
	// Metrics, when set, gives node i's Prometheus metrics address (cometsync's and
	// CometBFT's metrics on one endpoint); unset, the nodes serve no metrics.
	Metrics func(i int) string
	// NodeConfig, when set, adjusts node i's cometsync.toml settings (TLS, for example)
	// before its home is written.
	NodeConfig func(i int, c *app.Config)
	Logger     *slog.Logger
}

// ErrInvalidOptions is what a ConfigError wraps: Options.Validate and New return it.
var ErrInvalidOptions = errors.New("invalid testnet options")

// ConfigError names the field of Options that is invalid.
type ConfigError struct {
	Field, Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%v: %s: %s", ErrInvalidOptions, e.Field, e.Reason)
}

// Unwrap returns ErrInvalidOptions.
func (e *ConfigError) Unwrap() error { return ErrInvalidOptions }

// Validate returns a *ConfigError naming the first bad field.
func (o Options) Validate() error {
	switch {
	case o.Validators < 1:
		return &ConfigError{"Validators", "at least one validator"}
	case o.SnapshotInterval < 0:
		return &ConfigError{"SnapshotInterval", "must not be negative"}
	case o.SnapshotKeepRecent < 0:
		return &ConfigError{"SnapshotKeepRecent", "must not be negative"}
	case o.Owners < 0:
		return &ConfigError{"Owners", "must not be negative"}
	case o.Owners > 0 && int(o.OwnerThreshold) > o.Owners:
		return &ConfigError{"OwnerThreshold", fmt.Sprintf("%d is more than the %d owners", o.OwnerThreshold, o.Owners)}
	}
	return nil
}

// Network is a set of in-process validator nodes sharing one genesis.
type Network struct {
	Dir            string
	SynchronizerID string
	Homes          []*app.HomeInfo
	Members        []Member
	// OwnerKeys are the consortium owners' keys (Options.Owners).
	OwnerKeys []crypto.SigningPrivateKey
	logger    *slog.Logger

	opts  Options
	mu    sync.Mutex
	nodes []*app.Node
	apis  []string
}

// New creates the homes and the genesis; no node runs yet.
func New(o Options) (*Network, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = app.DiscardLogger()
	}
	n := &Network{Dir: o.Dir, logger: o.Logger, nodes: make([]*app.Node, o.Validators), opts: o}
	for i := 0; i < o.Validators; i++ {
		info, api, err := initHome(filepath.Join(o.Dir, fmt.Sprintf("node%d", i)), i, o)
		if err != nil {
			return nil, err
		}
		n.Homes = append(n.Homes, info)
		n.apis = append(n.apis, api)
	}
	gms, err := n.createMembers(o.Members)
	if err != nil {
		return nil, err
	}
	return n, n.writeGenesis(o, gms)
}

func initHome(home string, i int, o Options) (*app.HomeInfo, string, error) {
	p2p, rpcAddr, api, err := listenAddresses(i, o)
	if err != nil {
		return nil, "", err
	}
	rpc := ""
	if o.RPC {
		rpc = "tcp://" + rpcAddr
	}
	cfg := app.DefaultConfig()
	cfg.APIListenAddress = api
	cfg.MetricsListenAddress = ""
	if o.Metrics != nil {
		cfg.MetricsListenAddress = o.Metrics(i)
	}
	cfg.LogLevel = "warn"
	cfg.SnapshotInterval = o.SnapshotInterval
	if o.SnapshotKeepRecent > 0 {
		cfg.SnapshotKeepRecent = o.SnapshotKeepRecent
	}
	if o.NodeConfig != nil {
		o.NodeConfig(i, &cfg)
	}
	info, err := app.InitHome(app.HomeOptions{
		Home: home, Moniker: fmt.Sprintf("node%d", i), P2PAddress: "tcp://" + p2p, RPCAddress: rpc,
		Config: cfg, Fast: !o.Slow, CometBFTMetrics: cfg.MetricsListenAddress != "",
	})
	return info, api, err
}

// listenAddresses returns node i's addresses: o.Listen's, or free loopback ports.
func listenAddresses(i int, o Options) (p2p, rpc, api string, err error) {
	if o.Listen != nil {
		p2p, rpc, api = o.Listen(i)
		return p2p, rpc, api, nil
	}
	addrs := make([]string, 3)
	for k := range addrs {
		if addrs[k], err = app.FreeAddress(); err != nil {
			return "", "", "", err
		}
	}
	return addrs[0], addrs[1], addrs[2], nil
}

func (n *Network) createMembers(specs []MemberSpec) ([]core.GenesisMember, error) {
	var gms []core.GenesisMember
	for _, h := range n.Homes {
		gms = append(gms, h.Sequencer)
	}
	for _, s := range specs {
		var k crypto.SigningPrivateKey
		if s.Key != nil {
			k = *s.Key
		} else {
			var err error
			if k, err = crypto.GenerateSigningKey(nil); err != nil {
				return nil, err
			}
		}
		m, err := crypto.NewMember(s.Kind, s.Name, k.Fingerprint())
		if err != nil {
			return nil, err
		}
		n.Members = append(n.Members, Member{ID: m.String(), Key: k})
		gms = append(gms, core.GenesisMember{ID: m.String(), SigningKeys: []string{core.EncodeKey(k.Public())}, MediatorGroup: s.MediatorGroup})
	}
	return gms, nil
}

func (n *Network) writeGenesis(o Options, gms []core.GenesisMember) error {
	policy := topopb.OnboardingPolicy_ONBOARDING_POLICY_OPEN
	if o.Permissioned {
		policy = topopb.OnboardingPolicy_ONBOARDING_POLICY_PERMISSIONED
	}
	var g *core.Genesis
	var err error
	if o.Owners > 0 {
		g, err = n.consortiumGenesis(o, gms, policy)
	} else {
		g, err = app.NewSynchronizerGenesis("cometsync", filepath.Join(n.Homes[0].Home, "config", app.NamespaceKeyFile), gms, policy)
	}
	if err != nil {
		return err
	}
	if o.Parameters != nil {
		g.Parameters = *o.Parameters
	}
	n.SynchronizerID = g.SynchronizerID
	doc, err := app.NewGenesisDoc("cometsync-test", g, n.Homes)
	if err != nil {
		return err
	}
	homes := make([]string, len(n.Homes))
	for i, h := range n.Homes {
		homes[i] = h.Home
	}
	if err := app.WriteGenesis(doc, homes...); err != nil {
		return err
	}
	if len(n.Homes) > 1 {
		return app.SetPersistentPeers(n.Homes)
	}
	return nil
}

// consortiumGenesis makes o.Owners owner keys (key files in DIR/owners) and a genesis
// governed by their decentralized namespace.
func (n *Network) consortiumGenesis(o Options, gms []core.GenesisMember, policy topopb.OnboardingPolicy) (*core.Genesis, error) {
	threshold := o.OwnerThreshold
	if threshold == 0 {
		threshold = uint32(o.Owners/2 + 1)
	}
	for k := range o.Owners {
		key, err := crypto.GenerateSigningKey(nil)
		if err != nil {
			return nil, err
		}
		uid, err := crypto.NewUID(fmt.Sprintf("owner%d", k), key.Fingerprint())
		if err != nil {
			return nil, err
		}
		if err := crypto.WriteKeyFile(filepath.Join(n.Dir, "owners", fmt.Sprintf("owner%d.json", k)), crypto.NewKeyFile(uid.String(), key)); err != nil {
			return nil, err
		}
		n.OwnerKeys = append(n.OwnerKeys, key)
	}
	return app.NewConsortiumGenesis("cometsync", n.OwnerKeys, threshold, gms, policy)
}

// SynchronizerKey reads the synchronizer's namespace key (written into node 0's home).
func (n *Network) SynchronizerKey() (crypto.SigningPrivateKey, error) {
	_, k, err := crypto.ReadKeyFile(filepath.Join(n.Homes[0].Home, "config", app.NamespaceKeyFile))
	return k, err
}

// Member returns the created member called name (any kind).
func (n *Network) Member(name string) Member {
	for _, m := range n.Members {
		if mem, err := crypto.ParseMember(m.ID); err == nil && mem.UID.Name == name {
			return m
		}
	}
	panic("testnet: no member named " + name)
}

// Start starts node i.
func (n *Network) Start(i int) error {
	node, err := app.Open(n.Homes[i].Home, n.logger.With("node", i))
	if err != nil {
		return err
	}
	if err := node.Start(); err != nil {
		return fmt.Errorf("start node %d: %w", i, err)
	}
	n.mu.Lock()
	n.nodes[i] = node
	n.mu.Unlock()
	return nil
}

// StartAll starts every node that is not running.
func (n *Network) StartAll() error {
	for i := range n.Homes {
		if n.Node(i) == nil {
			if err := n.Start(i); err != nil {
				return err
			}
		}
	}
	return nil
}

// Stop stops node i (a clean shutdown).
func (n *Network) Stop(i int) {
	n.mu.Lock()
	node := n.nodes[i]
	n.nodes[i] = nil
	n.mu.Unlock()
	if node != nil {
		node.Stop()
	}
}

// Close stops every node.
func (n *Network) Close() {
	for i := range n.Homes {
		n.Stop(i)
	}
}

// Node returns running node i, or nil.
func (n *Network) Node(i int) *app.Node {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.nodes[i]
}

// APIAddress is node i's sequencer API address (fixed across restarts).
func (n *Network) APIAddress(i int) string { return n.apis[i] }

// APIAddresses lists every node's sequencer API address.
func (n *Network) APIAddresses() []string { return append([]string(nil), n.apis...) }

// WipeAppDB deletes node i's application database; the node must be stopped. On the
// next start CometBFT replays every block from its block store into the empty app.
func (n *Network) WipeAppDB(i int) error {
	if n.Node(i) != nil {
		return fmt.Errorf("testnet: node %d is running", i)
	}
	return os.RemoveAll(filepath.Join(n.Homes[i].Home, "data", "app"))
}

// WaitHeight waits until node i has committed height h, awaiting commits (no polling).
func (n *Network) WaitHeight(ctx context.Context, i int, h int64) error {
	node := n.Node(i)
	if node == nil {
		return fmt.Errorf("testnet: node %d is not running", i)
	}
	for {
		ch := node.CommitNotify()
		if node.App().Meta().Height >= h {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("node %d at height %d, waiting for %d: %w", i, node.App().Meta().Height, h, ctx.Err())
		}
	}
}

// AppHashAt returns node i's app hash after height h, read from CometBFT's block store
// (the header of block h+1 carries it), or nil if block h+1 is not stored yet.
func (n *Network) AppHashAt(i int, h int64) []byte {
	node := n.Node(i)
	if node == nil {
		return nil
	}
	meta := node.CometBFT().BlockStore().LoadBlockMeta(h + 1)
	if meta == nil {
		return nil
	}
	return meta.Header.AppHash
}
