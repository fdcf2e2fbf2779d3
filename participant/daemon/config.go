// Package daemon runs a participant as an operator does: a home directory with its
// configuration, encrypted key store, database and Ledger API secret; `cometsync
// participant init|start|recover` are thin wrappers around it.
package daemon

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/crypto/keystore"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/examples"
	"github.com/cometsync/cometsync/internal/tlsconf"
	"github.com/cometsync/cometsync/internal/tomlconf"
	"github.com/cometsync/cometsync/ledger"
)

// ErrInvalidConfig is what a ConfigError wraps: Config.Validate, LoadHome and Init return
// it for unusable settings.
var ErrInvalidConfig = errors.New("invalid participant config")

// ConfigError names the Config setting that is invalid by its key in participant.toml.
type ConfigError struct {
	Field, Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%v: %s: %s", ErrInvalidConfig, e.Field, e.Reason)
}

// Unwrap returns ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// fieldError turns a tomlconf check's error into a ConfigError.
func fieldError(err error) error {
	var fe *tomlconf.FieldError
	if errors.As(err, &fe) {
		return &ConfigError{fe.Field, fe.Reason}
	}
	return err
}

// Config is a participant's configuration (HOME/participant.toml). Relative paths are
// relative to the home directory.
type Config struct {
	// Member is the participant's id, PAR::name::namespace (set by init).
	Member string `mapstructure:"member"`
	// Sequencers are the sequencer API endpoints (host:port) to use, with failover.
	Sequencers []string `mapstructure:"sequencers"`
	// SynchronizerID pins the synchronizer; empty pins the first one connected to.
	SynchronizerID string `mapstructure:"synchronizer_id"`
	// MediatorGroup is the mediator group requests go to.
	MediatorGroup uint32 `mapstructure:"mediator_group"`
	// Mediators are the group's members (MED::…); empty takes them from the on-chain
	// MediatorSynchronizerState.
	Mediators []string `mapstructure:"mediators"`
	// Packages are the package files (YAML) the participant runs; empty runs the
	// built-in examples (iou, dvp).
	Packages []string `mapstructure:"packages"`
	// LedgerAPIAddress is where the Ledger API (gRPC) listens.
	LedgerAPIAddress string `mapstructure:"ledger_api_address"`
	// JWTSecretFile holds the HS256 secret Ledger API tokens are signed with.
	JWTSecretFile string `mapstructure:"jwt_secret_file"`
	// JWTAudience, when set, is the audience tokens must name.
	JWTAudience string `mapstructure:"jwt_audience"`
	// RetiredLedgerTimeTolerance is a setting of earlier versions: the ledger time
	// tolerance is the on-chain synchronizer parameter, which every participant and the
	// mediator read alike. A file that still sets it is refused with what to do.
	RetiredLedgerTimeTolerance string `mapstructure:"ledger_time_tolerance"`
	// KeyStore, Database and UsersDatabase are directories. Database holds what the
	// chain can rebuild (recovery wipes it); UsersDatabase holds the Ledger API users,
	// which exist only here.
	KeyStore      string `mapstructure:"keystore"`
	Database      string `mapstructure:"database"`
	UsersDatabase string `mapstructure:"users_database"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `mapstructure:"log_level"`
	// LogFormat is text or json (slog's handlers).
	LogFormat string `mapstructure:"log_format"`
	// MetricsAddress, when set (host:port), serves Prometheus metrics at /metrics; empty
	// (the default) serves none.
	MetricsAddress string `mapstructure:"metrics_address"`
	// AutoInit lets start put the participant's root certificate and keys on-chain itself
	// (onboarding, and a rotated encryption key). False is for keys from an external
	// ceremony: the topology transactions are submitted with the topology CLI and start
	// waits until they are in force.
	AutoInit bool `mapstructure:"auto_init"`
	// LedgerAPITLSCertFile and LedgerAPITLSKeyFile make the Ledger API serve TLS;
	// LedgerAPITLSClientCAFile, when set, requires client certificates that CA signed.
	// LedgerAPIAllowPlaintext allows a plaintext Ledger API on a non-loopback address.
	LedgerAPITLSCertFile     string `mapstructure:"ledger_api_tls_cert_file"`
	LedgerAPITLSKeyFile      string `mapstructure:"ledger_api_tls_key_file"`
	LedgerAPITLSClientCAFile string `mapstructure:"ledger_api_tls_client_ca_file"`
	LedgerAPIAllowPlaintext  bool   `mapstructure:"ledger_api_allow_plaintext"`
	// SequencerTLS* are how the participant dials the sequencers: the CA their
	// certificates chain to (empty: plaintext), a server name to verify instead of each
	// endpoint's host, and a client certificate and key for sequencers that require one.
	SequencerTLSCAFile     string `mapstructure:"sequencer_tls_ca_file"`
	SequencerTLSServerName string `mapstructure:"sequencer_tls_server_name"`
	SequencerTLSCertFile   string `mapstructure:"sequencer_tls_cert_file"`
	SequencerTLSKeyFile    string `mapstructure:"sequencer_tls_key_file"`
	// PruneRetention, when set (a duration such as "720h"), makes the running participant
	// prune its ledger every PruneInterval (default 1h) of sequencer time: the updates
	// and archived contracts older than that, up to a safe point (see autoprune.go).
	// Empty (the default) never prunes by itself; cometsync participant prune does it by
	// hand.
	PruneRetention string `mapstructure:"prune_retention"`
	PruneInterval  string `mapstructure:"prune_interval"`
	// Reads are verify_reads and the settings of its trust root, or subscribe_agreed.
	Reads driver.ReadSettings `mapstructure:",squash"`
}

// LedgerAPITLS is the Ledger API's TLS material, paths resolved against home.
func (c Config) LedgerAPITLS(home string) tlsconf.Server {
	return tlsconf.Server{CertFile: c.LedgerAPITLSCertFile, KeyFile: c.LedgerAPITLSKeyFile, ClientCAFile: c.LedgerAPITLSClientCAFile}.Resolve(home)
}

// SequencerTLS is the driver's TLS towards the sequencers, paths resolved against home.
func (c Config) SequencerTLS(home string) driver.TLS {
	t := tlsconf.Client{CAFile: c.SequencerTLSCAFile, ServerName: c.SequencerTLSServerName, CertFile: c.SequencerTLSCertFile, KeyFile: c.SequencerTLSKeyFile}.Resolve(home)
	return driver.TLS{CAFile: t.CAFile, ServerName: t.ServerName, CertFile: t.CertFile, KeyFile: t.KeyFile}
}

// ConfigFile is the configuration's name in the home directory.
const ConfigFile = "participant.toml"

// DefaultConfig returns the configuration init writes, before the member is known.
func DefaultConfig() Config {
	return Config{
		LedgerAPIAddress: "127.0.0.1:5011", JWTSecretFile: "jwt-secret",
		KeyStore: "keys", Database: "db", UsersDatabase: "users", LogLevel: "info", LogFormat: "text", AutoInit: true,
		Reads: driver.DefaultReadSettings(),
	}
}

// Validate returns a *ConfigError naming the first bad setting.
func (c Config) Validate() error {
	if err := tomlconf.CheckMember("member", c.Member, crypto.KindParticipant); err != nil {
		return fieldError(err)
	}
	if err := tomlconf.CheckEndpoints("sequencers", c.Sequencers); err != nil {
		return fieldError(err)
	}
	if err := c.checkPaths(); err != nil {
		return err
	}
	for _, m := range c.Mediators {
		if err := tomlconf.CheckMember("mediators", m, crypto.KindMediator); err != nil {
			return fieldError(err)
		}
	}
	if _, _, err := net.SplitHostPort(c.LedgerAPIAddress); err != nil {
		return &ConfigError{"ledger_api_address", fmt.Sprintf("%q: %v", c.LedgerAPIAddress, err)}
	}
	if err := tlsconf.CheckServer(tlsconf.ServerKeys("ledger_api"), c.LedgerAPIAddress, c.LedgerAPITLS(""), c.LedgerAPIAllowPlaintext); err != nil {
		return fieldError(err)
	}
	if err := tlsconf.CheckClient(tlsconf.ClientKeys("sequencer"), tlsconf.Client{CAFile: c.SequencerTLSCAFile,
		ServerName: c.SequencerTLSServerName, CertFile: c.SequencerTLSCertFile, KeyFile: c.SequencerTLSKeyFile}); err != nil {
		return fieldError(err)
	}
	if err := c.Reads.Validate(); err != nil {
		return readsError(err)
	}
	if _, _, err := c.PruneSchedule(); err != nil {
		return err
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &ConfigError{"log_level", fmt.Sprintf("%q: want debug, info, warn or error", c.LogLevel)}
	}
	switch c.LogFormat {
	case "", "text", "json":
	default:
		return &ConfigError{"log_format", fmt.Sprintf("%q: want text or json", c.LogFormat)}
	}
	return fieldError(tomlconf.CheckOptionalAddress("metrics_address", c.MetricsAddress))
}

// readsError turns the driver's ConfigError about the read settings into ours.
func readsError(err error) error {
	var ce *driver.ConfigError
	if errors.As(err, &ce) {
		return &ConfigError{ce.Field, ce.Reason}
	}
	return err
}

// checkPaths checks the retired setting and the directories and files.
func (c Config) checkPaths() error {
	required := []struct{ field, value string }{
		{"keystore", c.KeyStore}, {"database", c.Database}, {"users_database", c.UsersDatabase}, {"jwt_secret_file", c.JWTSecretFile},
	}
	if c.RetiredLedgerTimeTolerance != "" {
		return &ConfigError{"ledger_time_tolerance", "no longer a participant setting: the tolerance is the on-chain synchronizer parameter " +
			"(cometsync topology propose synchronizer-parameters --ledger-time-tolerance); remove the line"}
	}
	for _, r := range required {
		if r.value == "" {
			return &ConfigError{r.field, "must be set (keystore, database, users_database and jwt_secret_file all must)"}
		}
	}
	if filepath.Clean(c.Database) == filepath.Clean(c.UsersDatabase) {
		return &ConfigError{"users_database", "must differ from database: recovery wipes the database"}
	}
	return nil
}

// path resolves p against home.
func path(home, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(home, p)
}

// Init creates a participant home: the key store (a new signing key, which is also the
// participant's namespace key, and an encryption key of scheme), the Ledger API secret
// and participant.toml. ks must be a new, empty store in HOME/<c.KeyStore>.
func Init(home, name string, c Config, ks *keystore.Store, scheme crypto.EncryptionScheme) (Config, error) {
	if _, err := os.Stat(filepath.Join(home, ConfigFile)); err == nil {
		return Config{}, fmt.Errorf("%s already holds a participant (%s)", home, ConfigFile)
	}
	m, _, err := InitKeys(ks, name, scheme)
	if err != nil {
		return Config{}, err
	}
	c.Member = m.String()
	return c, WriteHome(home, c)
}

// InitWithKeys creates a participant home around an existing key store (keys made in an
// external ceremony, e.g. with cometsync keys init): the member is name::<the active
// signing key's fingerprint>.
func InitWithKeys(home, name string, c Config, ks *keystore.Store) (Config, error) {
	if _, err := os.Stat(filepath.Join(home, ConfigFile)); err == nil {
		return Config{}, fmt.Errorf("%s already holds a participant (%s)", home, ConfigFile)
	}
	sig, err := ks.SigningKey()
	if err != nil {
		return Config{}, err
	}
	if _, err := ks.EncryptionKey(); err != nil {
		return Config{}, fmt.Errorf("the key store needs an encryption key: %w", err)
	}
	m, err := crypto.NewMember(crypto.KindParticipant, name, sig.Fingerprint())
	if err != nil {
		return Config{}, err
	}
	c.Member = m.String()
	return c, WriteHome(home, c)
}

// InitKeys creates the keys in ks (see keystore.Store.InitMember).
func InitKeys(ks *keystore.Store, name string, scheme crypto.EncryptionScheme) (crypto.Member, crypto.SigningPublicKey, error) {
	return ks.InitMember(crypto.KindParticipant, name, scheme)
}

// WriteHome writes a new Ledger API secret and participant.toml for c into home.
func WriteHome(home string, c Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	if err := os.WriteFile(path(home, c.JWTSecretFile), []byte(hex.EncodeToString(secret)+"\n"), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(home, ConfigFile), []byte(render(c)), 0o644)
}

func render(c Config) string {
	q := tomlconf.List
	return fmt.Sprintf(`# cometsync participant configuration (paths are relative to this directory).

# The participant's id: PAR::name::namespace (the namespace is its signing key's
# fingerprint). Written by init; do not change.
member = %q

# Sequencer API endpoints, tried in order with failover.
sequencers = %s

# Pin the synchronizer id (empty: pin the first one connected to).
synchronizer_id = %q

# The mediator group confirmation requests go to, and its members (empty: the active
# members the on-chain MediatorSynchronizerState names).
mediator_group = %d
mediators = %s

# Package files (YAML) this participant runs; empty: the built-in examples (iou, dvp).
packages = %s

# Ledger API (gRPC). Tokens are HS256 JWTs signed with the secret in jwt_secret_file
# (the file's text as it is, at least 32 bytes); see docs/ledger-api.md. Beyond loopback serve it with TLS (ledger_api_tls_*).
ledger_api_address = %q
jwt_secret_file = %q
jwt_audience = %q

# TLS of the Ledger API (PEM files, relative to this directory): with a certificate and
# key it serves TLS; with a client CA as well, clients must present a certificate that CA
# signed. Plaintext is refused on a non-loopback ledger_api_address unless
# ledger_api_allow_plaintext = true.
ledger_api_tls_cert_file = %q
ledger_api_tls_key_file = %q
ledger_api_tls_client_ca_file = %q
ledger_api_allow_plaintext = %t

# TLS towards the sequencers: the CA their certificates chain to (empty: plaintext), the
# name to verify instead of each endpoint's host (empty: the host), and the client
# certificate and key for sequencers that require one (mutual TLS).
sequencer_tls_ca_file = %q
sequencer_tls_server_name = %q
sequencer_tls_cert_file = %q
sequencer_tls_key_file = %q

# Encrypted key store; the ledger database (rebuilt from the chain by recovery); the
# Ledger API users (local only: back them up with the keys).
keystore = %q
database = %q
users_database = %q

# debug | info | warn | error
log_level = %q
# text | json (one JSON object a line)
log_format = %q

# Prometheus metrics at http://ADDRESS/metrics (cometsync_participant_*, Go runtime),
# for example "127.0.0.1:5012". Empty serves none.
metrics_address = %q

# Put the root certificate and keys on-chain at start (onboarding, rotated encryption
# keys). false: an external key ceremony submits them (cometsync topology), start waits.
auto_init = %t

# Pruning of the ledger: every prune_interval (default 1h) of sequencer time the running
# participant removes the updates and archived contracts older than prune_retention, for
# example "720h", up to the latest safe point (no request in flight, ACS commitments
# matched); before one exists it tries again the next interval. Empty (the default)
# never prunes by itself; cometsync participant prune does it by hand.
prune_retention = %q
prune_interval = %q

%s`, c.Member, q(c.Sequencers), c.SynchronizerID, c.MediatorGroup, q(c.Mediators), q(c.Packages), c.LedgerAPIAddress,
		c.JWTSecretFile, c.JWTAudience, c.LedgerAPITLSCertFile, c.LedgerAPITLSKeyFile, c.LedgerAPITLSClientCAFile, c.LedgerAPIAllowPlaintext,
		c.SequencerTLSCAFile, c.SequencerTLSServerName, c.SequencerTLSCertFile, c.SequencerTLSKeyFile, c.KeyStore, c.Database, c.UsersDatabase, c.LogLevel, c.LogFormat, c.MetricsAddress, c.AutoInit, c.PruneRetention, c.PruneInterval, c.Reads.TOML())
}

// Load reads HOME/participant.toml.
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

// LoadPackages reads the configured packages, or the built-in examples.
func (c Config) LoadPackages(home string) (*ledger.PackageSet, error) {
	var srcs [][]byte
	if len(c.Packages) == 0 {
		for _, name := range []string{"iou.yaml", "dvp.yaml"} {
			b, err := examples.FS.ReadFile(name)
			if err != nil {
				return nil, err
			}
			srcs = append(srcs, b)
		}
	}
	for _, p := range c.Packages {
		b, err := os.ReadFile(path(home, p))
		if err != nil {
			return nil, fmt.Errorf("package %s: %w", p, err)
		}
		srcs = append(srcs, b)
	}
	var pkgs []*ledger.Package
	for _, src := range srcs {
		p, err := ledger.ParsePackage(src)
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
	return ledger.NewPackageSet(pkgs...)
}
