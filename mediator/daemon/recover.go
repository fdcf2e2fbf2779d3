package daemon

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/cometsync/cometsync/internal/badgerx"
	"github.com/cometsync/cometsync/member"
)

// Report is the outcome of a recovery.
type Report struct {
	Events   int64 // events of the mediator's stream replayed
	Height   int64 // chain height reached
	Duration time.Duration
	Pending  int    // requests awaiting their decision time
	Records  uint64 // audit records rebuilt
	// VerifiedFirst and VerifiedLast are the lowest and highest height whose header the
	// light client verified to check the replayed events (0 when reads are not verified).
	VerifiedFirst, VerifiedLast int64
}

func (r Report) String() string {
	rate := 0.0
	if r.Duration > 0 {
		rate = float64(r.Events) / r.Duration.Seconds()
	}
	verified := "reads not verified"
	if r.VerifiedLast > 0 {
		verified = fmt.Sprintf("verified heights %d..%d", r.VerifiedFirst, r.VerifiedLast)
	}
	return fmt.Sprintf("recovered %d events up to height %d in %s (%.0f events/s): %d pending requests, %d audit records, %s",
		r.Events, r.Height, r.Duration.Round(time.Millisecond), rate, r.Pending, r.Records, verified)
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
			return d.report(start)
		case <-t.C:
			p := d.Node.Progress()
			fmt.Fprintf(w, "replayed %d events, height %d of %d\n", p.Next, p.Height, p.StartHeight)
		}
	}
}

// report is what a recovery that started at start reached.
func (d *Daemon) report(start time.Time) (Report, error) {
	p := d.Node.Progress()
	records, err := d.store.RecordCount()
	if err != nil {
		return Report{}, err
	}
	first, last := d.Node.VerifiedHeights()
	return Report{Events: p.Next, Height: p.Height, Duration: time.Since(start), Pending: d.Node.Pending(), Records: records,
		VerifiedFirst: first, VerifiedLast: last}, nil
}

// VerifiedHeights returns the lowest and highest height whose header the node's driver
// verified to check the events it received (0, 0 when reads are not verified).
func (n *Node) VerifiedHeights() (first, last int64) { return n.rt.Client().VerifiedHeights() }
