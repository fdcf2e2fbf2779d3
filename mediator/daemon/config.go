package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/crypto/keystore"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/badgerx"
	"github.com/cometsync/cometsync/internal/tlsconf"
	"github.com/cometsync/cometsync/internal/tomlconf"
)

// Config is a mediator's configuration (HOME/mediator.toml). Relative paths are relative
// to the home directory.
type Config struct {
	Member         string   `mapstructure:"member"`
	Sequencers     []string `mapstructure:"sequencers"`
	SynchronizerID string   `mapstructure:"synchronizer_id"`
	KeyStore       string   `mapstructure:"keystore"`
	// Database is the directory of the mediator's database: what the chain can rebuild
	// (its pending requests, audit records and unsent verdicts). A start resumes from it;
	// an empty one is rebuilt from the mediator's stream.
	Database string `mapstructure:"database"`
	// RetiredDecisionTimeout is a setting of earlier versions: the decision timeout is
	// the on-chain synchronizer parameter. A file that still sets it is refused.
	RetiredDecisionTimeout string `mapstructure:"decision_timeout"`
	LogLevel               string `mapstructure:"log_level"`
	// LogFormat is text or json (slog's handlers).
	LogFormat string `mapstructure:"log_format"`
	// MetricsAddress, when set (host:port), serves Prometheus metrics at /metrics; empty
	// (the default) serves none.
	MetricsAddress string `mapstructure:"metrics_address"`
	// SequencerTLS* are how the mediator dials the sequencers: the CA their certificates
	// chain to (empty: plaintext), a server name to verify instead of each endpoint's
	// host, and a client certificate and key for sequencers that require one.
	SequencerTLSCAFile     string `mapstructure:"sequencer_tls_ca_file"`
	SequencerTLSServerName string `mapstructure:"sequencer_tls_server_name"`
	SequencerTLSCertFile   string `mapstructure:"sequencer_tls_cert_file"`
	SequencerTLSKeyFile    string `mapstructure:"sequencer_tls_key_file"`
	// PruneRetention, when set (a duration such as "720h"), makes the running mediator
	// prune its audit log every PruneInterval: the records of finished requests older
	// than that (see prune.go). Empty (the default) never prunes by itself.
	PruneRetention string `mapstructure:"prune_retention"`
	PruneInterval  string `mapstructure:"prune_interval"`
	// Reads are verify_reads and the settings of its trust root, or subscribe_agreed.
	Reads driver.ReadSettings `mapstructure:",squash"`
}

func (c Config) sequencerTLS() tlsconf.Client {
	return tlsconf.Client{CAFile: c.SequencerTLSCAFile, ServerName: c.SequencerTLSServerName, CertFile: c.SequencerTLSCertFile, KeyFile: c.SequencerTLSKeyFile}
}

// SequencerTLS is the driver's TLS towards the sequencers, paths resolved against home.
func (c Config) SequencerTLS(home string) driver.TLS {
	t := c.sequencerTLS().Resolve(home)
	return driver.TLS{CAFile: t.CAFile, ServerName: t.ServerName, CertFile: t.CertFile, KeyFile: t.KeyFile}
}

// ConfigFile is the configuration's name in the home directory.
const ConfigFile = "mediator.toml"

// DefaultConfig returns the configuration init writes, before the member is known.
func DefaultConfig() Config {
	return Config{KeyStore: "keys", Database: "data", LogLevel: "info", LogFormat: "text", Reads: driver.DefaultReadSettings()}
}

// Validate names the first bad field (a *ConfigError whose Field is the TOML key).
func (c Config) Validate() error {
	if err := fieldError(tomlconf.CheckMember("member", c.Member, crypto.KindMediator)); err != nil {
		return err
	}
	if err := fieldError(tomlconf.CheckEndpoints("sequencers", c.Sequencers)); err != nil {
		return err
	}
	switch {
	case c.RetiredDecisionTimeout != "":
		return &ConfigError{Field: "decision_timeout", Reason: "no longer a mediator setting: the decision timeout is the on-chain synchronizer parameter " +
			"(cometsync topology propose synchronizer-parameters --decision-timeout); remove the line"}
	case c.KeyStore == "":
		return &ConfigError{Field: "keystore", Reason: "must be set"}
	case c.Database == "":
		return &ConfigError{Field: "database", Reason: "must be set"}
	case c.LogFormat != "" && c.LogFormat != "text" && c.LogFormat != "json":
		return &ConfigError{Field: "log_format", Reason: fmt.Sprintf("%q: want text or json", c.LogFormat)}
	}
	if _, _, err := c.PruneSchedule(); err != nil {
		return err
	}
	if err := fieldError(tlsconf.CheckClient(tlsconf.ClientKeys("sequencer"), c.sequencerTLS())); err != nil {
		return err
	}
	if err := readsError(c.Reads.Validate()); err != nil {
		return err
	}
	return fieldError(tomlconf.CheckOptionalAddress("metrics_address", c.MetricsAddress))
}

// fieldError turns a tomlconf check's error into a ConfigError.
func fieldError(err error) error {
	var fe *tomlconf.FieldError
	if errors.As(err, &fe) {
		return &ConfigError{Field: fe.Field, Reason: fe.Reason}
	}
	return err
}

// readsError turns the driver's ConfigError about the read settings into ours.
func readsError(err error) error {
	var ce *driver.ConfigError
	if errors.As(err, &ce) {
		return &ConfigError{Field: ce.Field, Reason: ce.Reason}
	}
	return err
}

// Init creates the mediator's keys in ks (a new, empty store) and writes
// HOME/mediator.toml; it returns the configuration with the member id.
func Init(home, name string, c Config, ks *keystore.Store, scheme crypto.EncryptionScheme) (Config, crypto.SigningPublicKey, error) {
	if _, err := os.Stat(filepath.Join(home, ConfigFile)); err == nil {
		return Config{}, crypto.SigningPublicKey{}, fmt.Errorf("%s already holds a mediator (%s)", home, ConfigFile)
	}
	m, pub, err := InitKeys(ks, name, scheme)
	if err != nil {
		return Config{}, crypto.SigningPublicKey{}, err
	}
	c.Member = m.String()
	return c, pub, WriteHome(home, c)
}

// InitKeys creates the keys in ks (see keystore.Store.InitMember).
func InitKeys(ks *keystore.Store, name string, scheme crypto.EncryptionScheme) (crypto.Member, crypto.SigningPublicKey, error) {
	return ks.InitMember(crypto.KindMediator, name, scheme)
}

// WriteHome writes HOME/mediator.toml for c.
func WriteHome(home string, c Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	text := fmt.Sprintf(`# cometsync mediator configuration (paths are relative to this directory).

# The mediator's id: MED::name::namespace. It must be a genesis member of kind MED (or be
# named in the MediatorSynchronizerState by the synchronizer owners).
member = %q
sequencers = %s
synchronizer_id = %q
keystore = %q
# The mediator's database: its pending requests, audit records and unsent verdicts. A
# start resumes from it; an empty or removed one is rebuilt from the mediator's stream
# on the chain (cometsync mediator recover --wipe).
database = %q

# The decision timeout and the other protocol timings are on-chain synchronizer
# parameters (cometsync topology describe shows them).

# debug | info | warn | error
log_level = %q
# text | json (one JSON object a line)
log_format = %q

# Prometheus metrics at http://ADDRESS/metrics (cometsync_mediator_*, Go runtime),
# for example "127.0.0.1:5021". Empty serves none.
metrics_address = %q

# TLS towards the sequencers (PEM files, relative to this directory): the CA their
# certificates chain to (empty: plaintext), the name to verify instead of each
# endpoint's host (empty: the host), and the client certificate and key for sequencers
# that require one (mutual TLS).
sequencer_tls_ca_file = %q
sequencer_tls_server_name = %q
sequencer_tls_cert_file = %q
sequencer_tls_key_file = %q

# Pruning of the audit log (finished requests' records): every prune_interval (default
# 1h) the running mediator removes those older than prune_retention, for example
# "720h". Empty (the default) never prunes by itself; cometsync mediator prune does it
# by hand.
prune_retention = %q
prune_interval = %q
%s`, c.Member, tomlconf.List(c.Sequencers), c.SynchronizerID, c.KeyStore, c.Database, c.LogLevel, c.LogFormat, c.MetricsAddress,
		c.SequencerTLSCAFile, c.SequencerTLSServerName, c.SequencerTLSCertFile, c.SequencerTLSKeyFile, c.PruneRetention, c.PruneInterval, c.Reads.TOML())
	return os.WriteFile(filepath.Join(home, ConfigFile), []byte(text), 0o644)
}

// Load reads HOME/mediator.toml.
func Load(home string) (Config, error) {
	c := DefaultConfig()
	if err := tomlconf.Load(filepath.Join(home, ConfigFile), &c); err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", ConfigFile, err)
	}
	return c, nil
}

func path(home, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(home, p)
}

// DatabaseEmpty reports whether the mediator's database directory is absent or empty.
func DatabaseEmpty(home string, c Config) (bool, error) { return badgerx.Empty(path(home, c.Database)) }

// ErrDatabaseInUse is returned when a command that rewrites the mediator's database
// finds it open in another process (the mediator is running).
var ErrDatabaseInUse = badgerx.ErrInUse

// WipeDatabase removes the mediator's database (its keys and configuration stay). It
// refuses while a process holds the database: a running mediator would go on writing
// into the rebuilt one.
func WipeDatabase(home string, c Config) error {
	return badgerx.Wipe(path(home, c.Database), home, "mediator", "cometsync mediator start")
}
