package daemon

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/crypto/keystore"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/badgerx"
	"github.com/cometsync/cometsync/mediator/store"
)

// Options are what a mediator runs with besides its configuration.
type Options struct {
	Home   string
	Config Config
	Keys   *keystore.Store
	Logger *slog.Logger
	// Registerer receives the node's metrics (see NodeConfig.Registerer).
	Node NodeConfig
}

// Daemon is a running mediator with its database.
type Daemon struct {
	Node       *Node
	store      *store.Store
	closeLight func() // closes the light store of verified reads
	// stopPruning ends the automatic pruning (prune.go), when scheduled.
	stopPruning func()
}

// Start opens the database, waits until a sequencer endpoint answers and starts the
// node from where the database stands (from counter 0 when it is empty).
func Start(ctx context.Context, o Options) (d *Daemon, err error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	cfg := o.Node
	cfg.Logger = o.Logger
	sig, err := o.Keys.SigningKey()
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	enc, err := o.Keys.EncryptionKey()
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	c := o.Config
	cfg.Driver = driver.DefaultConfig()
	cfg.Driver.Endpoints, cfg.Driver.Member, cfg.Driver.SigningKey, cfg.Driver.SynchronizerID = c.Sequencers, c.Member, sig, c.SynchronizerID
	cfg.Driver.TLS = c.SequencerTLS(o.Home)
	cfg.EncryptionKey = enc
	cfg.MetricsAddress = c.MetricsAddress
	cfg.Decryption = func(fp crypto.Fingerprint) (crypto.EncryptionPrivateKey, bool) {
		k, err := o.Keys.EncryptionKeyByFingerprint(fp)
		return k, err == nil
	}
	st, err := store.Open(path(o.Home, c.Database), o.Logger)
	if err != nil {
		if badgerx.Locked(err) {
			return nil, fmt.Errorf("%w: %s: another mediator process holds it", ErrDatabaseInUse, path(o.Home, c.Database))
		}
		return nil, err
	}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()
	cfg.Store = st
	closeLight, err := applyReads(o.Home, c, &cfg.Driver, o.Logger)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			closeLight()
		}
	}()
	if err = driver.WaitReachable(ctx, cfg.Driver, cfg.Logger); err != nil {
		return nil, err
	}
	n, err := StartNode(ctx, cfg)
	if err != nil {
		return nil, err
	}
	d = &Daemon{Node: n, store: st, closeLight: closeLight}
	d.schedulePruning(c, o.Logger)
	return d, nil
}

// Stop stops the node and closes the database.
func (d *Daemon) Stop() error {
	if d.stopPruning != nil {
		d.stopPruning()
	}
	d.Node.Stop()
	if d.closeLight != nil {
		d.closeLight()
	}
	return d.store.Close()
}
