package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/cometsync/cometsync/driver"
)

// readFlags are init's flags of verified reads (driver.ReadSettings).
type readFlags struct {
	genesis string // a CometBFT genesis to copy into the home
}

// add registers the flags on f, setting r.
func (rf *readFlags) add(f *pflag.FlagSet, r *driver.ReadSettings) {
	f.BoolVar(&r.VerifyReads, "verify-reads", r.VerifyReads, "verify every event, the stream head and the topology download against light-client-verified headers (verify_reads)")
	f.StringVar(&rf.genesis, "genesis-file", "", "the chain's CometBFT genesis (a validator's config/genesis.json), copied into the home as the trust root (genesis_file; default: trust on first use)")
	f.Int64Var(&r.TrustHeight, "trust-height", 0, "trust the header of this height (trust_height, with --trust-hash)")
	f.StringVar(&r.TrustHash, "trust-hash", "", "the trusted header's hash, hex (trust_hash)")
	f.DurationVar(&r.TrustPeriod, "trust-period", r.TrustPeriod, "the light client's trusting period (trust_period)")
	f.IntVar(&r.SubscribeAgreed, "subscribe-agreed", 0, "without verified reads: deliver an event once this many endpoints served it alike (subscribe_agreed)")
}

// apply copies the genesis file into home, when one was given, and names it in r.
func (rf *readFlags) apply(home string, r *driver.ReadSettings) error {
	if rf.genesis == "" {
		return nil
	}
	b, err := os.ReadFile(rf.genesis)
	if err != nil {
		return fmt.Errorf("--genesis-file: %w", err)
	}
	const name = "genesis.json"
	if err := os.WriteFile(filepath.Join(home, name), b, 0o644); err != nil {
		return err
	}
	r.GenesisFile = name
	return nil
}
