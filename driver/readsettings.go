package driver

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cometsync/cometsync/internal/cmtbadger"
)

// ReadSettings are how a daemon reads the sequencers, as its TOML file has them
// (participant.toml, mediator.toml): verified reads on by default, with the trust root
// they start from, or agreement of several endpoints without proofs. Paths are relative
// to the daemon's home.
type ReadSettings struct {
	// VerifyReads checks everything a node serves against headers CometBFT's light
	// client verified (VerifyConfig).
	VerifyReads bool `mapstructure:"verify_reads"`
	// GenesisFile is the chain's CometBFT genesis (a validator's config/genesis.json):
	// header 1 must be signed by its validators. Empty: TrustHeight and TrustHash, or
	// else trust on first use (see Apply).
	GenesisFile string `mapstructure:"genesis_file"`
	// TrustHeight and TrustHash (hex) name a trusted header instead.
	TrustHeight int64  `mapstructure:"trust_height"`
	TrustHash   string `mapstructure:"trust_hash"`
	// TrustPeriod is the light client's trusting period.
	TrustPeriod time.Duration `mapstructure:"trust_period"`
	// LightStore is the directory of the verified headers, which keeps the trust across
	// restarts.
	LightStore string `mapstructure:"light_store"`
	// SubscribeAgreed, when positive, follows the stream on every endpoint and delivers
	// an event once this many endpoints served it identically (no proofs; needs
	// VerifyReads off).
	SubscribeAgreed int `mapstructure:"subscribe_agreed"`
}

// DefaultReadSettings verify reads, trusting on first use until a genesis file or a
// trusted header is configured.
func DefaultReadSettings() ReadSettings {
	return ReadSettings{VerifyReads: true, TrustPeriod: DefaultVerifyConfig().TrustPeriod, LightStore: "light"}
}

// Validate returns a *ConfigError naming the first bad setting (by its TOML key).
func (r ReadSettings) Validate() error {
	v := DefaultVerifyConfig()
	v.Enabled, v.TrustHeight, v.TrustHash, v.TrustPeriod, v.TrustOnFirstUse = r.VerifyReads, r.TrustHeight, r.TrustHash, r.TrustPeriod, true
	if err := v.validate(); err != nil {
		return err
	}
	switch {
	case r.SubscribeAgreed < 0:
		return &ConfigError{"subscribe_agreed", "must not be negative"}
	case r.SubscribeAgreed > 0 && r.VerifyReads:
		return &ConfigError{"subscribe_agreed", "set with verify_reads = true: use one or the other"}
	case r.VerifyReads && r.LightStore == "":
		return &ConfigError{"light_store", "must be set with verify_reads = true"}
	}
	return nil
}

// Apply sets cfg's Verify and SubscribeAgreed from r, reading the genesis file (paths
// relative to home). With neither a genesis file nor a trusted header the light client
// trusts the first header 1 it is served (checked against its own validators and the
// other endpoints) and keeps it in the light store: later starts trust only that chain.
// The caller opens the light store (cfg.Verify.Store) itself.
func (r ReadSettings) Apply(home string, cfg *Config) error {
	cfg.SubscribeAgreed = r.SubscribeAgreed
	if !r.VerifyReads {
		cfg.Verify.Enabled = false
		return nil
	}
	v := &cfg.Verify
	v.Enabled, v.TrustHeight, v.TrustHash, v.TrustPeriod = true, r.TrustHeight, r.TrustHash, r.TrustPeriod
	if r.GenesisFile == "" {
		v.TrustOnFirstUse = r.TrustHeight == 0
		return nil
	}
	p := r.GenesisFile
	if !filepath.IsAbs(p) {
		p = filepath.Join(home, p)
	}
	if _, err := os.Stat(p); err != nil {
		return &ConfigError{"genesis_file", fmt.Sprintf("%s: %v (copy the chain's CometBFT genesis, a validator's config/genesis.json, there)", p, err)}
	}
	g, err := cmttypes.GenesisDocFromFile(p)
	if err != nil {
		return &ConfigError{"genesis_file", err.Error()}
	}
	v.Genesis = g
	return nil
}

// LightStorePath is the light store's directory, resolved against home.
func (r ReadSettings) LightStorePath(home string) string {
	if filepath.IsAbs(r.LightStore) {
		return r.LightStore
	}
	return filepath.Join(home, r.LightStore)
}

// TOML renders the settings as the lines of a daemon's TOML file, with comments.
func (r ReadSettings) TOML() string {
	return fmt.Sprintf(`# Verified reads (docs/recovering-from-the-chain.md): every event, the stream's head and
# the topology download are checked against headers CometBFT's light client verified, so
# a sequencer node can delay this member but not deceive it. The trust root: the chain's
# CometBFT genesis (genesis_file: a validator's config/genesis.json copied here), or a
# trusted header (trust_height and trust_hash, hex); with neither, the first header 1
# served is trusted (cross-checked with every endpoint) and kept in light_store.
verify_reads = %t
genesis_file = %q
trust_height = %d
trust_hash = %q
trust_period = %q
light_store = %q

# Without verified reads: deliver an event once this many endpoints served it alike
# (0: off; needs verify_reads = false).
subscribe_agreed = %d
`, r.VerifyReads, r.GenesisFile, r.TrustHeight, r.TrustHash, r.TrustPeriod.String(), r.LightStore, r.SubscribeAgreed)
}

// Open applies the settings to cfg (Apply) and, with verification on, opens the light
// store in home, which the returned function closes.
func (r ReadSettings) Open(home string, cfg *Config, log *slog.Logger) (closeStore func(), err error) {
	if err := r.Apply(home, cfg); err != nil {
		return nil, err
	}
	if !cfg.Verify.Enabled {
		return func() {}, nil
	}
	p := r.LightStorePath(home)
	db, err := cmtbadger.Open(filepath.Base(p), filepath.Dir(p), log)
	if err != nil {
		return nil, err
	}
	cfg.Verify.Store = db
	return func() { _ = db.Close() }, nil
}
