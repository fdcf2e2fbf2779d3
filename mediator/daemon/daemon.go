package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/crypto/keystore"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/badgerx"
	"github.com/cometsync/cometsync/mediator/store"
	"github.com/cometsync/cometsync/member"
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

// Report is the outcome of a recovery.
type Report struct {
	Events   int64 // events of the mediator's stream replayed
	Height   int64 // chain height reached
	Duration time.Duration
	Pending  int    // requests awaiting their decision time
	Records  uint64 // audit records rebuilt
}

func (r Report) String() string {
	rate := 0.0
	if r.Duration > 0 {
		rate = float64(r.Events) / r.Duration.Seconds()
	}
	return fmt.Sprintf("recovered %d events up to height %d in %s (%.0f events/s): %d pending requests, %d audit records",
		r.Events, r.Height, r.Duration.Round(time.Millisecond), rate, r.Pending, r.Records)
}

// Recover rebuilds the mediator's database, which must be empty, from its stream on the
// chain: it replays from counter 0 until it is live and its outbox is empty (verdicts
// the replay finds unsent are sent), printing progress to w every interval, and stops.
func Recover(ctx context.Context, o Options, w io.Writer, every time.Duration) (Report, error) {
	if err := badgerx.NotInUse(path(o.Home, o.Config.Database), "mediator", "cometsync mediator start"); err != nil {
		return Report{}, err
	}
	empty, err := DatabaseEmpty(o.Home, o.Config)
	if err != nil {
		return Report{}, err
	}
	if !empty {
		return Report{}, fmt.Errorf("database %s is not empty: recovery rebuilds it from the chain (remove it first, or use --wipe)", path(o.Home, o.Config.Database))
	}
	start := time.Now()
	d, err := Start(ctx, o)
	if err != nil {
		return Report{}, err
	}
	defer d.Stop()
	done := make(chan error, 1)
	go func() {
		done <- d.Node.WaitProgress(ctx, func(p member.Progress) bool { return p.Live && p.Outbox == 0 })
	}()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				return Report{}, err
			}
			p := d.Node.Progress()
			records, err := d.store.RecordCount()
			if err != nil {
				return Report{}, err
			}
			return Report{Events: p.Next, Height: p.Height, Duration: time.Since(start), Pending: d.Node.Pending(), Records: records}, nil
		case <-t.C:
			p := d.Node.Progress()
			fmt.Fprintf(w, "replayed %d events, height %d of %d\n", p.Next, p.Height, p.StartHeight)
		}
	}
}
