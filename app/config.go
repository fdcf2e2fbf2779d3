package app

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/spf13/viper"

	"github.com/cometsync/cometsync/app/api"
	"github.com/cometsync/cometsync/internal/cmtbadger"
	"github.com/cometsync/cometsync/internal/tlsconf"
	"github.com/cometsync/cometsync/internal/tomlconf"
)

// ErrInvalidConfig is what a ConfigError wraps: Config.Validate, LoadConfig and InitHome
// return it for unusable settings.
var ErrInvalidConfig = errors.New("invalid node config")

// ConfigError names the Config setting that is invalid by its key in cometsync.toml.
type ConfigError struct {
	Field, Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%v: %s: %s", ErrInvalidConfig, e.Field, e.Reason)
}

// Unwrap returns ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// Config is the cometsync part of a node's configuration (config/cometsync.toml).
type Config struct {
	// APIListenAddress is where the gRPC sequencer API listens (host:port).
	APIListenAddress string `mapstructure:"api_listen_address"`
	// MetricsListenAddress serves Prometheus metrics at /metrics; empty disables.
	MetricsListenAddress string `mapstructure:"metrics_listen_address"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `mapstructure:"log_level"`
	// LogFormat is text or json (slog's handlers), for cometsync's and CometBFT's lines.
	LogFormat string `mapstructure:"log_format"`
	// TokenTTL is how long an authentication token is valid.
	TokenTTL time.Duration `mapstructure:"token_ttl"`
	// SnapshotInterval takes a state-sync snapshot every this many blocks (0 disables).
	SnapshotInterval int64 `mapstructure:"snapshot_interval"`
	// SnapshotKeepRecent is how many snapshots are kept.
	SnapshotKeepRecent int `mapstructure:"snapshot_keep_recent"`
	// MinRetainBlocks prunes blocks older than this many (0 keeps all).
	MinRetainBlocks int64 `mapstructure:"min_retain_blocks"`
	// PruningInterval prunes the application state this often (on sequencer time; 0:
	// never automatically), of what is older than PruningRetention and every owner
	// acknowledged (docs/pruning.md); CometBFT then drops the blocks below the pruning
	// height, keeping the last MinRetainBlocks and those the local snapshots need.
	PruningInterval  time.Duration `mapstructure:"pruning_interval"`
	PruningRetention time.Duration `mapstructure:"pruning_retention"`
	// IntegrityCheckInterval verifies the application database against the disk (every
	// table's block checksums, badgerx.Verify) this often while the node runs, and stops
	// the node when it finds damage; 0 disables.
	IntegrityCheckInterval time.Duration `mapstructure:"integrity_check_interval"`
	// MaxSubscribers and MaxSubscribersPerMember bound the open Subscribe streams of the
	// node and of one member; UnauthenticatedRate (calls/s) and UnauthenticatedBurst are
	// each caller's token bucket for calls without a token. Zero keeps api's default.
	MaxSubscribers          int     `mapstructure:"max_subscribers"`
	MaxSubscribersPerMember int     `mapstructure:"max_subscribers_per_member"`
	UnauthenticatedRate     float64 `mapstructure:"unauthenticated_rate"`
	UnauthenticatedBurst    int     `mapstructure:"unauthenticated_burst"`
	// APITLSCertFile and APITLSKeyFile make the sequencer API serve TLS (PEM files,
	// relative to the home directory); APITLSClientCAFile, when set, requires every
	// client to present a certificate that CA signed (mutual TLS).
	APITLSCertFile     string `mapstructure:"api_tls_cert_file"`
	APITLSKeyFile      string `mapstructure:"api_tls_key_file"`
	APITLSClientCAFile string `mapstructure:"api_tls_client_ca_file"`
	// APIAllowPlaintext allows a plaintext API on a non-loopback address (behind a
	// TLS-terminating proxy, or a trusted network); without it Validate refuses one.
	APIAllowPlaintext bool `mapstructure:"api_allow_plaintext"`
}

// APITLS is the sequencer API's TLS material, with paths relative to home resolved.
func (c Config) APITLS(home string) tlsconf.Server {
	return tlsconf.Server{CertFile: c.APITLSCertFile, KeyFile: c.APITLSKeyFile, ClientCAFile: c.APITLSClientCAFile}.Resolve(home)
}

// DefaultConfig returns the configuration of a new node.
func DefaultConfig() Config {
	return Config{
		APIListenAddress:     "127.0.0.1:26690",
		MetricsListenAddress: "127.0.0.1:26691",
		LogLevel:             "info",
		LogFormat:            LogFormatText,
		TokenTTL:             time.Hour,
		SnapshotInterval:     1000,
		SnapshotKeepRecent:   2,
		// A pass reads the whole application database once.
		IntegrityCheckInterval: 24 * time.Hour,
	}
}

// Validate returns a *ConfigError naming the first bad setting.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.APIListenAddress); err != nil {
		return &ConfigError{"api_listen_address", fmt.Sprintf("%q: %v", c.APIListenAddress, err)}
	}
	if c.MetricsListenAddress != "" {
		if _, _, err := net.SplitHostPort(c.MetricsListenAddress); err != nil {
			return &ConfigError{"metrics_listen_address", fmt.Sprintf("%q: %v", c.MetricsListenAddress, err)}
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &ConfigError{"log_level", fmt.Sprintf("%q: want debug, info, warn or error", c.LogLevel)}
	}
	if err := CheckLogFormat(c.LogFormat); err != nil {
		return err
	}
	switch {
	case c.TokenTTL <= 0:
		return &ConfigError{"token_ttl", "must be positive"}
	case c.SnapshotInterval < 0:
		return &ConfigError{"snapshot_interval", "must not be negative"}
	case c.MinRetainBlocks < 0:
		return &ConfigError{"min_retain_blocks", "must not be negative"}
	case c.PruningInterval < 0:
		return &ConfigError{"pruning_interval", "must not be negative (0 disables)"}
	case c.PruningRetention < 0:
		return &ConfigError{"pruning_retention", "must not be negative"}
	case c.IntegrityCheckInterval < 0:
		return &ConfigError{"integrity_check_interval", "must not be negative (0 disables)"}
	case c.SnapshotInterval > 0 && c.SnapshotKeepRecent < 1:
		return &ConfigError{"snapshot_keep_recent", "must be at least 1 when snapshots are on"}
	case c.MaxSubscribers < 0:
		return &ConfigError{"max_subscribers", "must not be negative"}
	case c.MaxSubscribersPerMember < 0:
		return &ConfigError{"max_subscribers_per_member", "must not be negative"}
	case c.UnauthenticatedRate < 0:
		return &ConfigError{"unauthenticated_rate", "must not be negative"}
	case c.UnauthenticatedBurst < 0:
		return &ConfigError{"unauthenticated_burst", "must not be negative"}
	}
	if err := c.checkTLS(); err != nil {
		return err
	}
	var ae *api.ConfigError
	if err := c.apiConfig().Validate(); errors.As(err, &ae) {
		return &ConfigError{ae.Field, ae.Reason + " (sequencer API limit)"}
	} else if err != nil {
		return err
	}
	return nil
}

// checkTLS checks the API's TLS settings: plaintext only on loopback unless
// api_allow_plaintext.
func (c Config) checkTLS() error {
	err := tlsconf.CheckServer(tlsconf.ServerKeys("api"), c.APIListenAddress, c.APITLS(""), c.APIAllowPlaintext)
	var fe *tomlconf.FieldError
	if errors.As(err, &fe) {
		return &ConfigError{fe.Field, fe.Reason}
	}
	return err
}

func (c Config) apiConfig() api.Config {
	ac := api.DefaultConfig()
	ac.TokenTTL = c.TokenTTL
	if c.MaxSubscribers > 0 {
		ac.MaxSubscribers = c.MaxSubscribers
	}
	if c.MaxSubscribersPerMember > 0 {
		ac.MaxSubscribersPerMember = c.MaxSubscribersPerMember
	}
	if c.UnauthenticatedRate > 0 {
		ac.UnauthenticatedRate = c.UnauthenticatedRate
	}
	if c.UnauthenticatedBurst > 0 {
		ac.UnauthenticatedBurst = c.UnauthenticatedBurst
	}
	return ac
}

const configTemplate = `# cometsync node configuration. CometBFT's own settings are in config.toml.

# gRPC sequencer API (SequencerConnectService, SequencerAuthenticationService,
# SequencerService, health, reflection).
api_listen_address = %q

# Prometheus metrics at http://ADDRESS/metrics (cometsync and CometBFT). Empty disables.
metrics_listen_address = %q

# debug | info | warn | error
log_level = %q
# text | json (one JSON object a line, CometBFT's lines too)
log_format = %q

# Lifetime of the tokens handed out by SequencerAuthenticationService.
token_ttl = %q

# State-sync snapshots of the application state (data/snapshots): one every N blocks
# (0 disables taking them; restoring from peers' snapshots works regardless), and how
# many to keep. A snapshot holds the whole event history, so a state-synced node serves
# every member's stream from counter 0.
snapshot_interval = %d
snapshot_keep_recent = %d

# Prune CometBFT blocks older than the last N (0 keeps every block). A pruning node cannot
# rebuild a wiped application database from its own blocks (it must state-sync), and it
# cannot serve block sync from genesis to new nodes.
min_retain_blocks = %d

# Prune the application state every pruning_interval (sequencer time; 0 disables the
# schedule; "cometsync node prune" prunes by hand): the events every owner acknowledged
# and older than pruning_retention, the batches all of whose recipients did, expired
# dedupe records; CometBFT then drops its blocks below the pruning height, never the
# last min_retain_blocks nor those the local snapshots need (see docs/pruning.md).
pruning_interval = %q
pruning_retention = %q

# Verify the application database (data/app) against the disk this often while the node
# runs: every table's block checksums, one read of the whole database a pass. Damage
# found stops the node (see docs/running-a-validator.md, When a database is damaged).
# The databases are always verified whole at start. 0 disables the periodic check.
integrity_check_interval = %q

# Limits of the sequencer API (0: the built-in default). Open Subscribe streams of the
# node and of one member (the member's cap is checked first and must stay below the
# node's); each caller's token bucket for calls without a token (Challenge,
# Authenticate, onboarding Send): calls/s and burst.
max_subscribers = %d
max_subscribers_per_member = %d
unauthenticated_rate = %g
unauthenticated_burst = %d

# TLS of the sequencer API (PEM files, relative to this node's home directory). With a
# certificate and key the API serves TLS; with a client CA as well, every client must
# present a certificate that CA signed (mutual TLS). Without TLS the API serves
# plaintext, which is refused on a non-loopback api_listen_address unless
# api_allow_plaintext = true (see docs/running-a-validator.md, "TLS").
api_tls_cert_file = %q
api_tls_key_file = %q
api_tls_client_ca_file = %q
api_allow_plaintext = %t
`

func writeConfig(path string, c Config) error {
	s := fmt.Sprintf(configTemplate, c.APIListenAddress, c.MetricsListenAddress, c.LogLevel, c.LogFormat, c.TokenTTL.String(), c.SnapshotInterval, c.SnapshotKeepRecent, c.MinRetainBlocks,
		c.PruningInterval.String(), c.PruningRetention.String(), c.IntegrityCheckInterval.String(), c.MaxSubscribers, c.MaxSubscribersPerMember, c.UnauthenticatedRate, c.UnauthenticatedBurst,
		c.APITLSCertFile, c.APITLSKeyFile, c.APITLSClientCAFile, c.APIAllowPlaintext)
	return os.WriteFile(path, []byte(s), 0o644)
}

// LoadConfig reads both configuration files of home.
func LoadConfig(home string) (*cmtcfg.Config, Config, error) {
	cmt := cmtcfg.DefaultConfig()
	v := viper.New()
	v.SetConfigFile(filepath.Join(home, "config", "config.toml"))
	if err := v.ReadInConfig(); err != nil {
		return nil, Config{}, fmt.Errorf("read CometBFT config: %w", err)
	}
	if err := v.Unmarshal(cmt); err != nil {
		return nil, Config{}, fmt.Errorf("parse CometBFT config: %w", err)
	}
	cmt.SetRoot(home)
	if err := cmt.ValidateBasic(); err != nil {
		return nil, Config{}, fmt.Errorf("CometBFT config: %w", err)
	}
	c := DefaultConfig()
	v = viper.New()
	v.SetConfigFile(filepath.Join(home, "config", "cometsync.toml"))
	if err := v.ReadInConfig(); err != nil {
		return nil, Config{}, fmt.Errorf("read cometsync config: %w", err)
	}
	if err := v.Unmarshal(&c); err != nil {
		return nil, Config{}, fmt.Errorf("parse cometsync config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, Config{}, fmt.Errorf("config/cometsync.toml: %w", err)
	}
	return cmt, c, nil
}

// tuneCometBFT applies cometsync's defaults to a CometBFT configuration: these are the
// settings that bind first under load (see docs/running-a-validator.md).
func tuneCometBFT(c *cmtcfg.Config, fast bool) {
	c.DBBackend = cmtbadger.Backend // "badgerdb", opened by internal/cmtbadger (no build tag)
	c.TxIndex.Indexer = "null"
	c.Mempool.Size = 20000
	c.Mempool.MaxTxsBytes = 256 << 20
	c.Mempool.MaxTxBytes = 2 << 20
	c.Mempool.CacheSize = 100000
	// FinalizeBlock validates every transaction again and reports an admitted one that
	// became invalid (expired, duplicate) to its sender as a DeliverError, so rechecking
	// the whole mempool after every block (which holds the mempool lock) buys nothing.
	c.Mempool.Recheck = false
	c.Consensus.CreateEmptyBlocks = true
	c.Consensus.CreateEmptyBlocksInterval = time.Second
	c.Consensus.TimeoutCommit = 300 * time.Millisecond
	c.Consensus.TimeoutPropose = time.Second
	c.P2P.AllowDuplicateIP = true
	c.P2P.AddrBookStrict = false
	c.Instrumentation.Prometheus = false
	if fast {
		c.Consensus.TimeoutPropose = 400 * time.Millisecond
		c.Consensus.TimeoutProposeDelta = 100 * time.Millisecond
		c.Consensus.TimeoutPrevote = 200 * time.Millisecond
		c.Consensus.TimeoutPrecommit = 200 * time.Millisecond
		c.Consensus.TimeoutCommit = 100 * time.Millisecond
		c.Consensus.CreateEmptyBlocksInterval = 250 * time.Millisecond
		c.Consensus.PeerGossipSleepDuration = 20 * time.Millisecond
		c.P2P.FlushThrottleTimeout = 10 * time.Millisecond
	}
}
