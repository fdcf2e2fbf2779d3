package procnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/cometsync/cometsync/app"
	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/crypto/keystore"
	"github.com/cometsync/cometsync/internal/tlsconf"
	mediatord "github.com/cometsync/cometsync/mediator/daemon"
	"github.com/cometsync/cometsync/participant/daemon"
	"github.com/cometsync/cometsync/testnet"
)

// ManifestFile is the network description Init writes into the testnet directory.
const ManifestFile = "testnet.json"

// WrapperKeyFile is the testnet's key-store wrapper key (one for every member's key
// store: a testnet convenience; production members each keep their own).
const WrapperKeyFile = "wrapper.key"

// NodeInfo describes one validator process.
type NodeInfo struct {
	Home string `json:"home"`
	Host string `json:"host"`
	RPC  string `json:"rpc"`
	API  string `json:"api"`
	// Metrics is where the node serves Prometheus metrics (cometsync's and CometBFT's)
	// at /metrics.
	Metrics string `json:"metrics"`
}

// MemberInfo is a mediator or participant with its home (config and key store).
type MemberInfo struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Home string `json:"home"`
	Host string `json:"host"`
	// LedgerAPI is a participant's Ledger API address.
	LedgerAPI string `json:"ledger_api,omitempty"`
}

// OwnerInfo is a synchronizer owner: its namespace and key store.
type OwnerInfo struct {
	Namespace string `json:"namespace"`
	KeyStore  string `json:"keystore"`
}

// Manifest describes a generated network.
type Manifest struct {
	SynchronizerID string       `json:"synchronizer_id"`
	WrapperKeyFile string       `json:"wrapper_key_file"`
	Nodes          []NodeInfo   `json:"nodes"`
	Members        []MemberInfo `json:"members"`
	Owners         []OwnerInfo  `json:"owners"`
	OwnerThreshold uint32       `json:"owner_threshold"`
	// TLSCAFile is the testnet's CA certificate when it was made with TLS: clients of
	// the sequencer and Ledger APIs verify the servers with it (ledger --ca-file).
	TLSCAFile string `json:"tls_ca_file,omitempty"`
	// PruningInterval and PruningRetention are the pruning schedule of every node and
	// member (Options.PruningInterval), absent when pruning is off.
	PruningInterval  string `json:"pruning_interval,omitempty"`
	PruningRetention string `json:"pruning_retention,omitempty"`
}

// Options configure Init.
type Options struct {
	Validators, Participants, Mediators int
	// Hosts spreads the nodes over machines: validator i and member j run on
	// Hosts[i % len] and Hosts[j % len], listening on every interface with fixed ports
	// (26656 p2p, 26657 rpc, 26690 api, 26691 metrics, 5011 ledger API, +10 for each
	// further node on the same host). Empty runs everything on loopback with free ports.
	Hosts []string
	// Permissioned selects the permissioned onboarding policy (default: open).
	Permissioned bool
	// Owners is the number of synchronizer owners (default: one per validator), whose
	// decentralized namespace governs the synchronizer with OwnerThreshold signatures
	// (default: a majority). Owner k's key goes into an encrypted key store in
	// node<k>/owner-keys (DIR/owner<k>-keys beyond the validators).
	Owners         int
	OwnerThreshold uint32
	// TLS makes a CA (DIR/tls/ca.crt) and a certificate for every validator and member
	// (for its host's name or IP, 127.0.0.1 and localhost): the sequencer APIs serve TLS
	// and require the members' client certificates, the Ledger APIs serve TLS, and every
	// member verifies its sequencers with the CA. Without TLS, nodes spread over Hosts
	// serve plaintext with api_allow_plaintext and ledger_api_allow_plaintext set.
	TLS bool
	// PruningInterval, when positive, turns pruning on everywhere: every validator prunes
	// its application state every PruningInterval of sequencer time (pruning_interval,
	// keeping PruningRetention: pruning_retention), and every mediator and participant
	// prunes its database on the same schedule (prune_interval, prune_retention). Zero
	// leaves pruning off.
	PruningInterval, PruningRetention time.Duration
}

// ErrInvalidOptions is what a ConfigError wraps: Options.Validate and Init return it.
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
	case o.Participants < 0:
		return &ConfigError{"Participants", "must not be negative"}
	case o.Mediators < 0:
		return &ConfigError{"Mediators", "must not be negative"}
	case o.Owners < 0:
		return &ConfigError{"Owners", "must not be negative"}
	case o.PruningInterval < 0:
		return &ConfigError{"PruningInterval", "must not be negative (0 leaves pruning off)"}
	case o.PruningRetention < 0 || o.PruningInterval > 0 && o.PruningRetention == 0:
		return &ConfigError{"PruningRetention", "must be positive when pruning is on (the history every node keeps)"}
	}
	return nil
}

// pruneSettings are a member's prune_retention and prune_interval for o (empty: off).
func (o Options) pruneSettings() (retention, interval string) {
	if o.PruningInterval <= 0 {
		return "", ""
	}
	return o.PruningRetention.String(), o.PruningInterval.String()
}

// Init generates a network in dir, which must not hold one already: every validator's
// home and one genesis naming the mediators and participants as members, and a home
// with an encrypted key store for each mediator and participant.
func Init(dir string, o Options) (*Manifest, error) {
	if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err == nil {
		return nil, fmt.Errorf("%s already holds a testnet (remove it first)", dir)
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	m := &Manifest{WrapperKeyFile: filepath.Join(dir, WrapperKeyFile)}
	if err := keystore.NewKeyFile(m.WrapperKeyFile); err != nil {
		return nil, err
	}
	kw, err := keystore.KeyFileWrapper(m.WrapperKeyFile)
	if err != nil {
		return nil, err
	}
	// Members' keys first: the genesis names them.
	var specs []testnet.MemberSpec
	add := func(kind crypto.MemberKind, name string, initKeys func(*keystore.Store) (crypto.Member, error)) error {
		home := filepath.Join(dir, name)
		ks, err := keystore.Create(filepath.Join(home, "keys"), kw, nil)
		if err != nil {
			return err
		}
		mem, err := initKeys(ks)
		if err != nil {
			return err
		}
		sig, err := ks.SigningKey()
		if err != nil {
			return err
		}
		specs = append(specs, testnet.MemberSpec{Kind: kind, Name: name, Key: &sig})
		m.Members = append(m.Members, MemberInfo{ID: mem.String(), Kind: string(kind), Home: home})
		return nil
	}
	for i := range o.Mediators {
		name := fmt.Sprintf("mediator%d", i)
		if err := add(crypto.KindMediator, name, func(ks *keystore.Store) (crypto.Member, error) {
			mem, _, err := mediatord.InitKeys(ks, name, crypto.DefaultScheme)
			return mem, err
		}); err != nil {
			return nil, err
		}
	}
	for i := range o.Participants {
		name := fmt.Sprintf("participant%d", i)
		if err := add(crypto.KindParticipant, name, func(ks *keystore.Store) (crypto.Member, error) {
			mem, _, err := daemon.InitKeys(ks, name, crypto.DefaultScheme)
			return mem, err
		}); err != nil {
			return nil, err
		}
	}
	if o.Owners == 0 {
		o.Owners = o.Validators
	}
	if o.OwnerThreshold == 0 {
		o.OwnerThreshold = uint32(o.Owners/2 + 1)
	}
	topts := testnet.Options{Dir: dir, Validators: o.Validators, Members: specs, RPC: true, Permissioned: o.Permissioned,
		Owners: o.Owners, OwnerThreshold: o.OwnerThreshold}
	topts.NodeConfig = func(_ int, c *app.Config) {
		if o.PruningInterval > 0 {
			c.PruningInterval, c.PruningRetention = o.PruningInterval, o.PruningRetention
		}
		if o.TLS {
			c.APITLSCertFile, c.APITLSKeyFile, c.APITLSClientCAFile = nodeCert, nodeKey, nodeCA
		} else {
			c.APIAllowPlaintext = len(o.Hosts) > 0
		}
	}
	var portErr error
	if len(o.Hosts) > 0 {
		topts.Listen = func(i int) (string, string, string) {
			p2p, rpc, api := fixedPorts(i, len(o.Hosts))
			return "0.0.0.0:" + p2p, "0.0.0.0:" + rpc, "0.0.0.0:" + api
		}
		topts.Metrics = func(i int) string { return "0.0.0.0:" + metricsPort(i, len(o.Hosts)) }
	} else {
		metrics := make(map[int]string)
		topts.Metrics = func(i int) string {
			if metrics[i] == "" {
				var err error
				if metrics[i], err = freeProcessAddress(); err != nil {
					portErr = err
				}
			}
			return metrics[i]
		}
		topts.Listen = func(int) (string, string, string) {
			var a [3]string
			for k := range a {
				if a[k], portErr = freeProcessAddress(); portErr != nil {
					return "", "", ""
				}
			}
			return a[0], a[1], a[2]
		}
	}
	tn, err := testnet.New(topts)
	if err == nil {
		err = portErr
	}
	if err != nil {
		return nil, err
	}
	m.SynchronizerID, m.OwnerThreshold = tn.SynchronizerID, o.OwnerThreshold
	m.PruningRetention, m.PruningInterval = o.pruneSettings()
	if err := m.storeOwnerKeys(dir, tn, kw); err != nil {
		return nil, err
	}
	var ca *tlsconf.CA
	if o.TLS {
		if ca, err = m.newCA(dir); err != nil {
			return nil, err
		}
	}
	var apis []string
	for i, h := range tn.Homes {
		cmt, _, err := app.LoadConfig(h.Home)
		if err != nil {
			return nil, err
		}
		n := NodeInfo{Home: h.Home, Host: "127.0.0.1", RPC: cmt.RPC.ListenAddress, API: tn.APIAddress(i), Metrics: topts.Metrics(i)}
		if len(o.Hosts) > 0 {
			_, rpc, api := fixedPorts(i, len(o.Hosts))
			n.Host = o.Hosts[i%len(o.Hosts)]
			n.RPC, n.API = "tcp://"+net.JoinHostPort(n.Host, rpc), net.JoinHostPort(n.Host, api)
			n.Metrics = net.JoinHostPort(n.Host, metricsPort(i, len(o.Hosts)))
		}
		m.Nodes = append(m.Nodes, n)
		apis = append(apis, n.API)
		if ca != nil {
			if err := issue(ca, fmt.Sprintf("node%d", i), n.Host, h.Home, nodeCert, nodeKey, nodeCA); err != nil {
				return nil, err
			}
		}
	}
	if len(o.Hosts) > 0 {
		if err := peersAcrossHosts(tn, o.Hosts); err != nil {
			return nil, err
		}
	}
	var mediators []string
	for _, mem := range m.Members {
		if mem.Kind == string(crypto.KindMediator) {
			mediators = append(mediators, mem.ID)
		}
	}
	genesis, err := os.ReadFile(filepath.Join(tn.Homes[0].Home, "config", "genesis.json"))
	if err != nil {
		return nil, err
	}
	for j := range m.Members {
		mem := &m.Members[j]
		mem.Host = "127.0.0.1"
		// The chain's genesis is the members' trust root of verified reads.
		if err := os.WriteFile(filepath.Join(mem.Home, memberGenesis), genesis, 0o644); err != nil {
			return nil, err
		}
		if len(o.Hosts) > 0 {
			mem.Host = o.Hosts[j%len(o.Hosts)]
		}
		if ca != nil {
			if err := issue(ca, filepath.Base(mem.Home), mem.Host, mem.Home, memberCert, memberKey, memberCA); err != nil {
				return nil, err
			}
		}
		switch crypto.MemberKind(mem.Kind) {
		case crypto.KindMediator:
			c := mediatord.DefaultConfig()
			c.Member, c.Sequencers, c.SynchronizerID = mem.ID, apis, m.SynchronizerID
			c.Reads.GenesisFile = memberGenesis
			c.PruneRetention, c.PruneInterval = o.pruneSettings()
			if ca != nil {
				c.SequencerTLSCAFile, c.SequencerTLSCertFile, c.SequencerTLSKeyFile = memberCA, memberCert, memberKey
			}
			if err := mediatord.WriteHome(mem.Home, c); err != nil {
				return nil, err
			}
		case crypto.KindParticipant:
			c := daemon.DefaultConfig()
			c.Member, c.Sequencers, c.SynchronizerID, c.Mediators = mem.ID, apis, m.SynchronizerID, mediators
			c.Reads.GenesisFile = memberGenesis
			c.PruneRetention, c.PruneInterval = o.pruneSettings()
			if len(o.Hosts) > 0 {
				c.LedgerAPIAddress = "0.0.0.0:" + strconv.Itoa(5011+10*(j/len(o.Hosts)))
				mem.LedgerAPI = net.JoinHostPort(mem.Host, strconv.Itoa(5011+10*(j/len(o.Hosts))))
			} else {
				if c.LedgerAPIAddress, err = freeProcessAddress(); err != nil {
					return nil, err
				}
				mem.LedgerAPI = c.LedgerAPIAddress
			}
			if ca != nil {
				c.SequencerTLSCAFile, c.SequencerTLSCertFile, c.SequencerTLSKeyFile = memberCA, memberCert, memberKey
				c.LedgerAPITLSCertFile, c.LedgerAPITLSKeyFile = memberCert, memberKey
			} else {
				c.LedgerAPIAllowPlaintext = len(o.Hosts) > 0
			}
			if err := daemon.WriteHome(mem.Home, c); err != nil {
				return nil, err
			}
		}
	}
	return m, m.write(dir)
}

// Where Init puts the TLS files: in a validator's home (config/tls/) and in a member's
// home (tls/), relative to the home as the configurations name them.
const (
	nodeCert, nodeKey, nodeCA       = "config/tls/node.crt", "config/tls/node.key", "config/tls/ca.crt"
	memberCert, memberKey, memberCA = "tls/member.crt", "tls/member.key", "tls/ca.crt"
	// memberGenesis is the copy of the chain's CometBFT genesis in a member's home.
	memberGenesis = "genesis.json"
)

// newCA makes the testnet's CA and writes its certificate to DIR/tls/ca.crt. Its key
// is not kept: certificates for further nodes come from the operators' own PKI.
func (m *Manifest) newCA(dir string) (*tlsconf.CA, error) {
	ca, err := tlsconf.NewCA("cometsync testnet CA")
	if err != nil {
		return nil, err
	}
	m.TLSCAFile = filepath.Join(dir, "tls", "ca.crt")
	return ca, ca.WriteCert(m.TLSCAFile)
}

// issue writes a certificate for name, valid for host, 127.0.0.1 and localhost, its
// key and the CA's certificate into home.
func issue(ca *tlsconf.CA, name, host, home, cert, key, caFile string) error {
	hosts := []string{"127.0.0.1", "localhost"}
	if host != "127.0.0.1" && host != "localhost" {
		hosts = append([]string{host}, hosts...)
	}
	if err := ca.IssueFiles(name, hosts, filepath.Join(home, cert), filepath.Join(home, key)); err != nil {
		return err
	}
	return ca.WriteCert(filepath.Join(home, caFile))
}

// storeOwnerKeys moves the owners' keys from the key files testnet.New wrote into
// encrypted key stores: owner k's in node<k>/owner-keys, or DIR/owner<k>-keys.
func (m *Manifest) storeOwnerKeys(dir string, tn *testnet.Network, kw keystore.KeyWrapper) error {
	for k, key := range tn.OwnerKeys {
		ks := filepath.Join(dir, fmt.Sprintf("owner%d-keys", k))
		if k < len(tn.Homes) {
			ks = filepath.Join(tn.Homes[k].Home, "owner-keys")
		}
		st, err := keystore.Create(ks, kw, nil)
		if err != nil {
			return err
		}
		if err := st.ImportSigningKey(key); err != nil {
			return err
		}
		m.Owners = append(m.Owners, OwnerInfo{Namespace: string(key.Fingerprint()), KeyStore: ks})
	}
	return os.RemoveAll(filepath.Join(dir, "owners"))
}

// fixedPorts are validator i's ports when nodes are spread over n hosts.
func fixedPorts(i, n int) (p2p, rpc, api string) {
	slot := 10 * (i / n)
	return strconv.Itoa(26656 + slot), strconv.Itoa(26657 + slot), strconv.Itoa(26690 + slot)
}

// metricsPort is validator i's metrics port when nodes are spread over n hosts.
func metricsPort(i, n int) string { return strconv.Itoa(26691 + 10*(i/n)) }

// peersAcrossHosts points every validator's persistent peers at the others' hosts and
// sets its external address, for nodes on different machines.
func peersAcrossHosts(tn *testnet.Network, hosts []string) error {
	addr := func(i int) string {
		p2p, _, _ := fixedPorts(i, len(hosts))
		return net.JoinHostPort(hosts[i%len(hosts)], p2p)
	}
	for i, self := range tn.Homes {
		var peers []string
		for j, o := range tn.Homes {
			if j != i {
				peers = append(peers, o.NodeID+"@"+addr(j))
			}
		}
		cmt, _, err := app.LoadConfig(self.Home)
		if err != nil {
			return err
		}
		cmt.P2P.PersistentPeers = strings.Join(peers, ",")
		cmt.P2P.ExternalAddress = addr(i)
		cmt.P2P.AddrBookStrict = false // private networks
		cmtcfg.WriteConfigFile(filepath.Join(self.Home, "config", "config.toml"), cmt)
	}
	return nil
}

func (m *Manifest) write(dir string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ManifestFile), append(b, '\n'), 0o600)
}

// Load reads the manifest of dir.
func Load(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s holds no testnet (run cometsync testnet init first)", dir)
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	return &m, nil
}

// Keys opens member j's key store.
func (m *Manifest) Keys(j int) (*keystore.Store, error) {
	kw, err := keystore.KeyFileWrapper(m.WrapperKeyFile)
	if err != nil {
		return nil, err
	}
	return keystore.Open(filepath.Join(m.Members[j].Home, "keys"), kw)
}

// freeProcessAddress is a free loopback address for a process of the testnet, from ports
// (30000-32699) that the in-process nodes do not use: the processes bind long after init
// chose their ports.
func freeProcessAddress() (string, error) { return app.FreeAddressIn(30000, 32700) }
