package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/dgraph-io/badger/v4"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/crypto/keystore"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/badgerx"
	"github.com/cometsync/cometsync/internal/metricshttp"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/ledgerapi"
	"github.com/cometsync/cometsync/participant/snapshot"
	"github.com/cometsync/cometsync/participant/store"
)

// Daemon is a running participant: the node over its database, its Ledger API and its
// metrics.
type Daemon struct {
	Node  *participant.Node
	store *store.Store
	users *badger.DB
	// LedgerAPI is the address the Ledger API listens on (nil when not served).
	LedgerAPI net.Addr
	// MetricsURL is where the Prometheus metrics are served ("" when they are not).
	MetricsURL string
	metrics    *metricshttp.Server
	cancel     context.CancelFunc
	served     chan error
	closeLight func() // closes the light store of verified reads
	// stopPruning ends the automatic pruning (autoprune.go), when scheduled.
	stopPruning func()
}

// Options are what a participant runs with besides its configuration.
type Options struct {
	Home   string
	Config Config
	Keys   *keystore.Store
	Logger *slog.Logger
	// NoLedgerAPI runs the node without serving the Ledger API (recovery does).
	NoLedgerAPI bool
	// VerifySnapshot is the snapshot the database was rebuilt from (RecoverFromSnapshot).
	VerifySnapshot *snapshot.Snapshot
	// giveUpOnLies ends the stream once every endpoint failed verification (recovery
	// fails loudly instead of waiting for an honest node).
	giveUpOnLies bool
}

// Start opens the database, gets the participant admitted when it is not yet (it sends
// its root certificate and keys to the topology manager, as onboarding allows), starts
// the node from where its database stands and serves the Ledger API.
func Start(ctx context.Context, o Options) (d *Daemon, err error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := o.Config
	pkgs, err := c.LoadPackages(o.Home)
	if err != nil {
		return nil, err
	}
	sig, err := o.Keys.SigningKey()
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	enc, err := o.Keys.EncryptionKey()
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	if m, _ := crypto.ParseMember(c.Member); m.UID.Namespace != sig.Fingerprint() {
		// After a signing key rotation the namespace stays the first key's: the node
		// then authenticates with a key its namespace delegates to (not supported yet).
		o.Logger.Warn("the active signing key is not the namespace key", "member", c.Member, "key", sig.Fingerprint())
	}
	dcfg := driver.DefaultConfig()
	dcfg.Endpoints, dcfg.Member, dcfg.SigningKey, dcfg.SynchronizerID = c.Sequencers, c.Member, sig, c.SynchronizerID
	dcfg.TLS = c.SequencerTLS(o.Home)
	if o.giveUpOnLies {
		dcfg.Verify.GiveUpAfter = len(dcfg.Endpoints)
	}
	if err := driver.WaitReachable(ctx, dcfg, o.Logger); err != nil {
		return nil, err
	}
	if c.AutoInit {
		err = admit(ctx, dcfg, enc.Public(), o.Logger)
	} else {
		o.Logger.Info("auto_init is off: waiting until the participant's keys are in force", "member", c.Member)
		err = driver.WaitAdmitted(ctx, dcfg, o.Logger)
	}
	if err != nil {
		return nil, err
	}
	st, err := store.Open(path(o.Home, c.Database), o.Logger)
	if err != nil {
		if badgerx.Locked(err) {
			return nil, fmt.Errorf("%w: %s: another participant process holds it (stop it first)", ErrDatabaseInUse, path(o.Home, c.Database))
		}
		return nil, err
	}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()
	imports, err := participant.LoadImports(path(o.Home, participant.ImportsDir)) // party replication
	if err != nil {
		return nil, err
	}
	// The light store after the database, whose lock says best that the participant runs.
	closeLight, err := applyReads(o.Home, c, &dcfg, o.Logger)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			closeLight()
		}
	}()
	node, err := participant.Start(ctx, participant.Config{
		Driver: dcfg, EncryptionKey: enc, Packages: pkgs, Mediators: c.Mediators, MediatorGroup: c.MediatorGroup,
		Store: st, Logger: o.Logger, Imports: imports, VerifySnapshot: o.VerifySnapshot,
		Decryption: func(fp crypto.Fingerprint) (crypto.EncryptionPrivateKey, bool) {
			k, err := o.Keys.EncryptionKeyByFingerprint(fp)
			return k, err == nil
		},
	})
	if err != nil {
		return nil, err
	}
	d = &Daemon{Node: node, store: st, served: make(chan error, 1), closeLight: closeLight}
	if c.MetricsAddress != "" {
		if d.metrics, err = metricshttp.Listen(c.MetricsAddress, metricshttp.WithRuntime(node.Metrics()), o.Logger); err != nil {
			node.Stop()
			return nil, err
		}
		d.MetricsURL = d.metrics.URL()
	}
	if o.NoLedgerAPI {
		d.served <- nil
		return d, nil
	}
	if c.AutoInit {
		if err = node.Register(ctx); err != nil { // a rotated encryption key goes on-chain
			d.stopMetrics()
			node.Stop()
			return nil, err
		}
	}
	if err = d.serveLedgerAPI(o); err != nil {
		d.stopMetrics()
		node.Stop()
		if d.users != nil {
			d.users.Close()
		}
		return nil, err
	}
	d.schedulePruning(c, o.Logger)
	return d, nil
}

func (d *Daemon) stopMetrics() {
	if d.metrics != nil {
		_ = d.metrics.Close() // it only fails for scrapes cut short
	}
}

// admit returns once the member can authenticate, onboarding it first when it cannot.
func admit(ctx context.Context, cfg driver.Config, enc crypto.EncryptionPublicKey, log *slog.Logger) error {
	probe, err := driver.New(cfg, log)
	if err != nil {
		return err
	}
	err = probe.Connect(ctx)
	probe.Close()
	if err == nil || errors.Is(err, driver.ErrSynchronizerMismatch) {
		return err
	}
	log.Info("not admitted yet: sending the onboarding requests", "member", cfg.Member, "cause", err)
	return participant.Onboard(ctx, cfg, enc, log)
}

func (d *Daemon) serveLedgerAPI(o Options) (err error) {
	if d.users, err = badgerx.Open(path(o.Home, o.Config.UsersDatabase), o.Logger); err != nil {
		if badgerx.Locked(err) {
			return fmt.Errorf("%w: users database %s: another participant process holds it (stop it first)", ErrDatabaseInUse, path(o.Home, o.Config.UsersDatabase))
		}
		return fmt.Errorf("users database: %w", err)
	}
	users, err := ledgerapi.NewUsers(d.users)
	if err != nil {
		return err
	}
	if err := ledgerapi.EnsureAdmin(users, ledgerapi.DefaultAdminUser); err != nil {
		return err
	}
	secret, err := ledgerapi.ReadSecretFile(path(o.Home, o.Config.JWTSecretFile))
	if err != nil {
		return err
	}
	auth := ledgerapi.Auth{Secret: secret, Audience: o.Config.JWTAudience}
	if err := auth.Validate(); err != nil {
		return err
	}
	tlsOpts, err := o.Config.LedgerAPITLS(o.Home).ServerOptions()
	if err != nil {
		return fmt.Errorf("ledger API (ledger_api_tls_* in %s): %w", ConfigFile, err)
	}
	lis, err := net.Listen("tcp", o.Config.LedgerAPIAddress)
	if err != nil {
		return fmt.Errorf("ledger API: %w", err)
	}
	d.LedgerAPI = lis.Addr()
	srv := ledgerapi.New(participant.LedgerBackend{N: d.Node}, users, auth, o.Logger)
	srv.SetServerOptions(tlsOpts...)
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	go func() { d.served <- srv.Serve(ctx, lis) }()
	o.Logger.Info("ledger API listening", "address", d.LedgerAPI.String(), "tls", len(tlsOpts) > 0, "client_certificates", o.Config.LedgerAPITLSClientCAFile != "")
	return nil
}

// Stop stops the automatic pruning, the Ledger API, the node and the metrics, and closes
// the database.
func (d *Daemon) Stop() error {
	if d.stopPruning != nil {
		d.stopPruning()
	}
	if d.cancel != nil {
		d.cancel()
	}
	err := <-d.served
	d.Node.Stop()
	d.stopMetrics()
	if d.closeLight != nil {
		d.closeLight()
	}
	if d.users != nil {
		err = errors.Join(err, d.users.Close())
	}
	return errors.Join(err, d.store.Close())
}

// DatabaseEmpty reports whether the participant's database directory is absent or empty.
func DatabaseEmpty(home string, c Config) (bool, error) { return badgerx.Empty(path(home, c.Database)) }

// ErrDatabaseInUse is returned when a command that rewrites the participant's database
// finds it open in another process (the participant is running).
var ErrDatabaseInUse = badgerx.ErrInUse

// WipeDatabase removes the participant's database (its keys and configuration stay). It
// refuses while a process holds the database (badger's directory lock): a running
// participant would go on writing into the rebuilt one.
func WipeDatabase(home string, c Config) error {
	return badgerx.Wipe(path(home, c.Database), home, "participant", "cometsync participant start")
}
