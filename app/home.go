package app

import (
	"encoding/base64"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtcrypto "github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/crypto"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/seqapi"
	"github.com/cometsync/cometsync/topology"
)

// HomeOptions describe a node home to create.
type HomeOptions struct {
	Home    string
	Moniker string
	// P2PAddress and RPCAddress are CometBFT listen addresses (tcp://host:port); RPC may
	// be empty to disable CometBFT's RPC server.
	P2PAddress string
	RPCAddress string
	Config     Config
	// Fast selects short consensus timeouts (tests, demo).
	Fast bool
	// CometBFTMetrics turns on CometBFT's Prometheus metrics (registered process-wide, so
	// only one node per process may have them), served with cometsync's on
	// Config.MetricsListenAddress. CometBFT's own listener stays off
	// (prometheus_listen_addr empty): a second fixed port would clash between nodes on
	// one host.
	CometBFTMetrics bool
}

// HomeInfo is what other nodes and the genesis need to know about a created home.
type HomeInfo struct {
	Home            string
	NodeID          string
	P2PAddress      string
	ValidatorPubKey cmtcrypto.PubKey
	Sequencer       core.GenesisMember
}

// Key file names inside config/.
const (
	SequencerKeyFile = "sequencer_key.json"
	NamespaceKeyFile = "namespace_key.json"
)

// InitHome creates the directories, configuration and keys of a node home. It refuses a
// home that already has a configuration. The genesis is written separately (WriteGenesis)
// because a network shares one.
func InitHome(o HomeOptions) (*HomeInfo, error) {
	cfgDir := filepath.Join(o.Home, "config")
	if _, err := os.Stat(filepath.Join(cfgDir, "config.toml")); err == nil {
		return nil, fmt.Errorf("%s is already initialized (remove it or pick another --home)", o.Home)
	}
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	for _, d := range []string{cfgDir, filepath.Join(o.Home, "data")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	c := cmtcfg.DefaultConfig()
	c.SetRoot(o.Home)
	c.Moniker = o.Moniker
	c.P2P.ListenAddress = o.P2PAddress
	c.RPC.ListenAddress = o.RPCAddress
	tuneCometBFT(c, o.Fast)
	if o.CometBFTMetrics {
		c.Instrumentation.Prometheus = true
		c.Instrumentation.PrometheusListenAddr = ""
	}
	cmtcfg.WriteConfigFile(filepath.Join(cfgDir, "config.toml"), c)
	if err := writeConfig(filepath.Join(cfgDir, "cometsync.toml"), o.Config); err != nil {
		return nil, err
	}
	nodeKey, err := p2p.LoadOrGenNodeKey(c.NodeKeyFile())
	if err != nil {
		return nil, err
	}
	pv := privval.LoadOrGenFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
	pub, err := pv.GetPubKey()
	if err != nil {
		return nil, err
	}
	seq, err := newMemberKey(filepath.Join(cfgDir, SequencerKeyFile), crypto.KindSequencer, o.Moniker)
	if err != nil {
		return nil, err
	}
	return &HomeInfo{Home: o.Home, NodeID: string(nodeKey.ID()), P2PAddress: o.P2PAddress, ValidatorPubKey: pub, Sequencer: seq}, nil
}

// newMemberKey creates a signing key for a member named name in its own namespace and
// stores it at path.
func newMemberKey(path string, kind crypto.MemberKind, name string) (core.GenesisMember, error) {
	k, err := crypto.GenerateSigningKey(nil)
	if err != nil {
		return core.GenesisMember{}, err
	}
	m, err := crypto.NewMember(kind, name, k.Fingerprint())
	if err != nil {
		return core.GenesisMember{}, err
	}
	if err := crypto.WriteKeyFile(path, crypto.NewKeyFile(m.String(), k)); err != nil {
		return core.GenesisMember{}, err
	}
	return core.GenesisMember{ID: m.String(), SigningKeys: []string{core.EncodeKey(k.Public())}}, nil
}

// NewSynchronizerGenesis creates the synchronizer's namespace key at keyPath and returns
// a genesis app state naming the synchronizer name::namespace, with the given members
// and, on-chain, the namespace's root certificate and the synchronizer parameters with
// the onboarding policy, signed by that key.
func NewSynchronizerGenesis(name, keyPath string, members []core.GenesisMember, policy topopb.OnboardingPolicy) (*core.Genesis, error) {
	k, err := crypto.GenerateSigningKey(nil)
	if err != nil {
		return nil, err
	}
	uid, err := crypto.NewUID(name, k.Fingerprint())
	if err != nil {
		return nil, err
	}
	if err := crypto.WriteKeyFile(keyPath, crypto.NewKeyFile(uid.String(), k)); err != nil {
		return nil, err
	}
	g := &core.Genesis{
		SynchronizerID:  uid.String(),
		ProtocolVersion: seqapi.ProtocolVersion,
		Parameters:      core.DefaultParameters(),
		Members:         members,
	}
	params := genesisParameters(uid, g, policy)
	for _, m := range append([]*topopb.TopologyMapping{topology.NewRootCertificate(k.Public()), params}, genesisMediatorGroups(uid, members)...) {
		tx, err := topology.NewTransaction(topopb.Operation_OPERATION_REPLACE, 1, m)
		if err != nil {
			return nil, err
		}
		g.Topology = append(g.Topology, base64.StdEncoding.EncodeToString(topology.Sign(tx, false, k).Marshal()))
	}
	return g, g.Validate()
}

// OwnerKeyFile is the file name of a consortium owner's key in a validator home's config/.
const OwnerKeyFile = "owner_key.json"

// NewConsortiumGenesis builds the genesis of a synchronizer governed by several owners:
// each owner's root certificate, the owners' decentralized namespace (its id computed
// from the owners' namespaces as topology.DecentralizedNamespace does, signed by every
// owner) with the given threshold, and the synchronizer parameters under it, signed by
// all owners. The synchronizer id is name::<decentralized namespace>. Changes to the
// synchronizer then need threshold owners' signatures.
func NewConsortiumGenesis(name string, owners []crypto.SigningPrivateKey, threshold uint32, members []core.GenesisMember, policy topopb.OnboardingPolicy) (*core.Genesis, error) {
	if len(owners) == 0 || threshold < 1 || int(threshold) > len(owners) {
		return nil, fmt.Errorf("consortium genesis: threshold %d with %d owners: want 1 ≤ threshold ≤ owners", threshold, len(owners))
	}
	fps := make([]crypto.Fingerprint, len(owners))
	for i, k := range owners {
		fps[i] = k.Fingerprint()
	}
	ns := topology.DecentralizedNamespace(fps)
	uid, err := crypto.NewUID(name, ns)
	if err != nil {
		return nil, err
	}
	g := &core.Genesis{SynchronizerID: uid.String(), ProtocolVersion: seqapi.ProtocolVersion, Parameters: core.DefaultParameters(), Members: members}
	var txs []*topopb.TopologyMapping
	var signers [][]crypto.SigningPrivateKey
	for _, k := range owners {
		txs, signers = append(txs, topology.NewRootCertificate(k.Public())), append(signers, []crypto.SigningPrivateKey{k})
	}
	txs, signers = append(txs, topology.NewDecentralizedNamespace(ns, threshold, fps...)), append(signers, owners)
	txs, signers = append(txs, genesisParameters(uid, g, policy)), append(signers, owners)
	for _, mg := range genesisMediatorGroups(uid, members) {
		txs, signers = append(txs, mg), append(signers, owners)
	}
	for i, m := range txs {
		tx, err := topology.NewTransaction(topopb.Operation_OPERATION_REPLACE, 1, m)
		if err != nil {
			return nil, err
		}
		g.Topology = append(g.Topology, base64.StdEncoding.EncodeToString(topology.Sign(tx, false, signers[i]...).Marshal()))
	}
	return g, g.Validate()
}

// genesisMediatorGroups defines, on-chain, each mediator group the genesis members form
// (threshold 1): the participants accept verdicts only from the active mediators of a
// request's group as the topology states it, so the groups must be there from the start.
func genesisMediatorGroups(uid crypto.UID, members []core.GenesisMember) []*topopb.TopologyMapping {
	groups := map[uint32][]crypto.Member{}
	for _, gm := range members {
		m, err := crypto.ParseMember(gm.ID)
		if err == nil && m.Kind == crypto.KindMediator {
			groups[gm.MediatorGroup] = append(groups[gm.MediatorGroup], m)
		}
	}
	var out []*topopb.TopologyMapping
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		ms := groups[g]
		slices.SortFunc(ms, func(a, b crypto.Member) int { return strings.Compare(a.String(), b.String()) })
		out = append(out, topology.NewMediatorState(uid, g, 1, ms))
	}
	return out
}

func genesisParameters(uid crypto.UID, g *core.Genesis, policy topopb.OnboardingPolicy) *topopb.TopologyMapping {
	return topology.NewSynchronizerParameters(uid, &topopb.SynchronizerParameters{
		TopologyChangeDelayMicros:     g.Parameters.TopologyChangeDelayMicros,
		DecisionTimeoutMicros:         topology.DefaultDecisionTimeout.Microseconds(),
		LedgerTimeToleranceMicros:     topology.DefaultLedgerTimeTolerance.Microseconds(),
		MediatorReactionTimeoutMicros: topology.DefaultMediatorReactionTimeout.Microseconds(),
		MaxRequestSize:                g.Parameters.MaxRequestSize,
		OnboardingPolicy:              policy,
	})
}

// ParseOnboardingPolicy reads "open" or "permissioned".
func ParseOnboardingPolicy(s string) (topopb.OnboardingPolicy, error) {
	switch s {
	case "open":
		return topopb.OnboardingPolicy_ONBOARDING_POLICY_OPEN, nil
	case "permissioned":
		return topopb.OnboardingPolicy_ONBOARDING_POLICY_PERMISSIONED, nil
	}
	return 0, fmt.Errorf("onboarding policy %q: want open or permissioned", s)
}

// NewGenesisDoc returns the CometBFT genesis of a chain whose validators are the given
// homes (equal power) and whose app_state is g.
func NewGenesisDoc(chainID string, g *core.Genesis, validators []*HomeInfo) (*types.GenesisDoc, error) {
	params := types.DefaultConsensusParams()
	params.Block.MaxBytes = 4 << 20
	doc := &types.GenesisDoc{
		GenesisTime:     time.Now().UTC().Round(time.Millisecond),
		ChainID:         chainID,
		InitialHeight:   1,
		ConsensusParams: params,
		AppState:        g.Canonical(),
	}
	for _, v := range validators {
		doc.Validators = append(doc.Validators, types.GenesisValidator{
			Address: v.ValidatorPubKey.Address(), PubKey: v.ValidatorPubKey, Power: 10, Name: filepath.Base(v.Home),
		})
	}
	return doc, doc.ValidateAndComplete()
}

// WriteGenesis stores doc in every home.
func WriteGenesis(doc *types.GenesisDoc, homes ...string) error {
	for _, h := range homes {
		if err := doc.SaveAs(filepath.Join(h, "config", "genesis.json")); err != nil {
			return fmt.Errorf("write genesis to %s: %w", h, err)
		}
	}
	return nil
}

// SetPersistentPeers points every home's CometBFT at all the other homes.
func SetPersistentPeers(infos []*HomeInfo) error {
	for _, self := range infos {
		var peers []string
		for _, o := range infos {
			if o != self {
				peers = append(peers, o.PeerAddress())
			}
		}
		cmt, _, err := LoadConfig(self.Home)
		if err != nil {
			return err
		}
		cmt.P2P.PersistentPeers = joinComma(peers)
		cmtcfg.WriteConfigFile(filepath.Join(self.Home, "config", "config.toml"), cmt)
	}
	return nil
}

// PeerAddress is the node's id@host:port as CometBFT's persistent_peers lists it.
func (h *HomeInfo) PeerAddress() string {
	return fmt.Sprintf("%s@%s", h.NodeID, trimScheme(h.P2PAddress))
}
