package daemon

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cometsync/cometsync/internal/tomlconf"

	"github.com/cometsync/cometsync/internal/badgerx"
	"github.com/cometsync/cometsync/mediator/store"
)

// DefaultPruneInterval is how often a mediator with prune_retention set prunes.
const DefaultPruneInterval = tomlconf.DefaultPruneInterval

// PruneSchedule returns the automatic pruning's retention and interval (retention 0:
// off), or a *ConfigError naming the bad key.
func (c Config) PruneSchedule() (retention, interval time.Duration, err error) {
	retention, interval, err = tomlconf.PruneSchedule(c.PruneRetention, c.PruneInterval)
	return retention, interval, fieldError(err)
}

// schedulePruning starts the automatic pruning when c sets a retention. The pruning
// point is the wall clock minus the retention: pruning is local housekeeping of the
// audit log, not a state transition a replay reproduces (a replay rebuilds the log).
func (d *Daemon) schedulePruning(c Config, logger *slog.Logger) {
	retention, interval, _ := c.PruneSchedule() // validated by Load
	if retention == 0 {
		return
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				rep, err := d.store.Prune(time.Now().Add(-retention).UnixMicro())
				if err != nil {
					logger.Error("prune the audit log", "err", err)
					continue
				}
				logger.Info("audit log pruned", "before_micros", rep.Before, "removed", rep.Removed, "kept_open", rep.KeptOpen)
			}
		}
	}()
	var once sync.Once
	d.stopPruning = func() { once.Do(func() { close(stop); wg.Wait() }) }
}

// Prune prunes the audit log of the stopped mediator in home: the records of finished
// requests before the time before (never a request still held). It refuses while the
// mediator runs (its process holds the database); the automatic schedule
// (prune_retention) prunes a running one.
func Prune(home string, c Config, before time.Time) (store.PruneReport, error) {
	dir := path(home, c.Database)
	if err := badgerx.NotInUse(dir, "mediator", "cometsync mediator start"); err != nil {
		return store.PruneReport{}, err
	}
	if empty, err := badgerx.Empty(dir); err != nil {
		return store.PruneReport{}, err
	} else if empty {
		return store.PruneReport{}, fmt.Errorf("no mediator database in %s: nothing to prune", dir)
	}
	st, err := store.Open(dir, nil)
	if err != nil {
		return store.PruneReport{}, err
	}
	defer st.Close()
	return st.Prune(before.UnixMicro())
}
