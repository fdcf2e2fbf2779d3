package driver

import (
	"encoding/hex"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	cmttypes "github.com/cometbft/cometbft/types"
)

// VerifyConfig turns on verified reads: the client runs CometBFT's light client over the
// nodes' SequencerProofService and checks every event it delivers, the head of its
// stream and the topology download against headers the light client verified. The trust
// root is either the CometBFT genesis (Genesis: header 1 must be signed by the genesis
// validators) or a header the operator trusts (TrustHeight and TrustHash); a Store that
// already holds verified headers (a restart) is trusted as it is.
type VerifyConfig struct {
	// Enabled turns verification on.
	Enabled bool
	// Genesis is the chain's CometBFT genesis: its chain id and validators are the trust
	// root when TrustHeight is 0.
	Genesis *cmttypes.GenesisDoc
	// ChainID is the CometBFT chain id; empty: the genesis', else the one the header of
	// TrustHash names (which the hash pins).
	ChainID string
	// TrustHeight and TrustHash (hex, 32 bytes) name a trusted header instead of the
	// genesis.
	TrustHeight int64
	TrustHash   string
	// TrustOnFirstUse, with neither Genesis nor TrustHeight, trusts the first header 1 a
	// node serves, once its own validators signed it and the other endpoints serve the
	// same (the light client compares them). It suits a Store that persists: the header
	// is trusted once, later starts trust the stored headers.
	TrustOnFirstUse bool
	// TrustPeriod is the light client's trusting period: a trusted header older than this
	// no longer vouches for the validators (a restart from the genesis of an older chain
	// needs a recent TrustHeight and TrustHash).
	TrustPeriod time.Duration
	// HeadInterval is how often a running subscription asks for its stream's head.
	HeadInterval time.Duration
	// OmissionWait is how long events the proven head shows are awaited before the node
	// is held to have withheld them (ErrOmittedEvents).
	OmissionWait time.Duration
	// Quarantine is how long an endpoint that failed verification is avoided while
	// another endpoint is usable.
	Quarantine time.Duration
	// GiveUpAfter ends Subscribe with the verification error after this many consecutive
	// failed verifications (counting every endpoint); 0 never gives up: the client keeps
	// retrying with backoff and logs each failure at ERROR (a node can delay, not
	// deceive).
	GiveUpAfter int
	// OnFault, when set, is called with every verification failure (for metrics and
	// tests); it must not block.
	OnFault func(error)
	// Store keeps the verified light blocks (a light/store/db over it); nil keeps them in
	// memory. The client does not close it.
	Store dbm.DB
}

// DefaultVerifyConfig returns the production defaults of verification, disabled; the
// trust root must be set to enable it.
func DefaultVerifyConfig() VerifyConfig {
	return VerifyConfig{
		TrustPeriod:  14 * 24 * time.Hour,
		HeadInterval: 10 * time.Second,
		OmissionWait: 30 * time.Second,
		Quarantine:   time.Minute,
	}
}

// trustHash returns the decoded TrustHash.
func (v VerifyConfig) trustHash() []byte {
	b, _ := hex.DecodeString(v.TrustHash)
	return b
}

// validate returns a *ConfigError naming the first bad verify_* field.
func (v VerifyConfig) validate() error {
	if !v.Enabled {
		return nil
	}
	switch {
	case v.TrustPeriod <= 0:
		return &ConfigError{"trust_period", "must be positive"}
	case v.HeadInterval <= 0:
		return &ConfigError{"verify_head_interval", "must be positive"}
	case v.OmissionWait <= 0:
		return &ConfigError{"verify_omission_wait", "must be positive"}
	case v.Quarantine < 0:
		return &ConfigError{"verify_quarantine", "must not be negative"}
	case v.GiveUpAfter < 0:
		return &ConfigError{"verify_give_up_after", "must not be negative"}
	case v.TrustHeight < 0:
		return &ConfigError{"trust_height", "must not be negative"}
	case v.TrustHeight == 0 && v.TrustHash != "":
		return &ConfigError{"trust_height", "not set, but trust_hash is"}
	case v.TrustHeight == 0 && v.Genesis == nil && !v.TrustOnFirstUse:
		return &ConfigError{"trust_height", "verification needs a trust root: the genesis or trust_height and trust_hash"}
	}
	if v.TrustHeight > 0 {
		if b, err := hex.DecodeString(v.TrustHash); err != nil || len(b) != 32 {
			return &ConfigError{"trust_hash", "want 64 hex digits (a header hash)"}
		}
	}
	if v.Genesis != nil {
		if err := v.Genesis.ValidateAndComplete(); err != nil {
			return &ConfigError{"genesis", err.Error()}
		}
		if len(v.Genesis.Validators) == 0 {
			return &ConfigError{"genesis", "lists no validators"}
		}
		if v.ChainID != "" && v.ChainID != v.Genesis.ChainID {
			return &ConfigError{"chain_id", "differs from the genesis' " + v.Genesis.ChainID}
		}
	}
	return nil
}

// GenesisVerifyConfig returns the default verification, enabled, with the CometBFT
// genesis in file path (a validator's config/genesis.json) as the trust root.
func GenesisVerifyConfig(path string) (VerifyConfig, error) {
	g, err := cmttypes.GenesisDocFromFile(path)
	if err != nil {
		return VerifyConfig{}, &ConfigError{"genesis_file", err.Error()}
	}
	v := DefaultVerifyConfig()
	v.Enabled, v.Genesis = true, g
	return v, nil
}
