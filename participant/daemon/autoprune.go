package daemon

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/cometsync/cometsync/internal/tomlconf"

	"github.com/cometsync/cometsync/participant"
)

// DefaultPruneInterval is how often a participant with prune_retention set prunes.
const DefaultPruneInterval = tomlconf.DefaultPruneInterval

// PruneSchedule returns the automatic pruning's retention and interval (retention 0:
// off), or a *ConfigError naming the bad key.
func (c Config) PruneSchedule() (retention, interval time.Duration, err error) {
	retention, interval, err = tomlconf.PruneSchedule(c.PruneRetention, c.PruneInterval)
	return retention, interval, fieldError(err)
}

// schedulePruning starts the automatic pruning when c sets a retention. The schedule
// runs on sequencer time, the sequencing time of the last event the node applied: once
// the node is live, at its first event and then at the first event an interval after
// the previous attempt, it prunes what was requested before that time minus the
// retention (participant.PruneBeforeTime), if that is a safe point (participant.Node.
// Prune). Pruning is local housekeeping of the participant's database, not a state
// transition: a replay does not run it (a recovering participant is not live).
func (d *Daemon) schedulePruning(c Config, logger *slog.Logger) {
	retention, interval, _ := c.PruneSchedule() // validated by Load
	if retention == 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.prunePeriodically(ctx, retention, interval, logger)
	}()
	d.stopPruning = func() { cancel(); <-done }
}

// prunePeriodically is the schedule's loop; it ends with ctx or the node's stream.
func (d *Daemon) prunePeriodically(ctx context.Context, retention, interval time.Duration, logger *slog.Logger) {
	var next int64 // sequencer time (µs) of the next attempt; 0: the first live event
	for {
		err := d.Node.WaitProgress(ctx, func(p participant.Progress) bool { return p.Live && p.Timestamp >= next })
		if err != nil {
			if ctx.Err() == nil {
				logger.Info("automatic pruning stopped with the node's stream", "err", err)
			}
			return
		}
		now := d.Node.Progress().Timestamp
		next = now + interval.Microseconds()
		d.pruneBefore(now-retention.Microseconds(), logger)
	}
}

// pruneBefore prunes the updates requested before sequencer time t (µs) and the
// contracts they archived, if that is a safe point; a point that is not safe yet is
// logged and left for the next attempt.
func (d *Daemon) pruneBefore(t int64, logger *slog.Logger) {
	before, err := participant.PruneBeforeTime(d.store, t)
	if err != nil {
		logger.Error("automatic pruning: find the pruning offset", "err", err)
		return
	}
	at := time.UnixMicro(t).UTC().Format(time.RFC3339Nano)
	if before <= max(d.Node.PrunedOffset(), 1) {
		logger.Debug("automatic pruning: nothing new to prune", "before_time", at, "before_offset", before)
		return
	}
	p, r, err := d.Node.Prune(before)
	switch {
	case errors.Is(err, participant.ErrPruneUnsafe):
		logger.Info("automatic pruning: not a safe point yet, trying again next interval", "before_time", at, "before_offset", before, "reason", err)
	case err != nil:
		logger.Error("automatic pruning failed", "before_offset", before, "err", err)
	default:
		logger.Info("ledger pruned", "before_time", at, "before_offset", r.Before, "tick", p.Tick.Tick,
			"matched", len(p.Matched), "updates", r.Updates, "contracts", r.Contracts)
	}
}
