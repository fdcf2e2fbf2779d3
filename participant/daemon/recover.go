package daemon

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/cometsync/cometsync/internal/badgerx"
	"github.com/cometsync/cometsync/participant"
)

// Report is the outcome of a recovery.
type Report struct {
	Events    int64 // events of the participant's stream replayed
	Height    int64 // chain height reached
	Duration  time.Duration
	LedgerEnd int64
	Contracts int
	ACSHash   []byte
	// VerifiedFirst and VerifiedLast are the lowest and highest height whose header the
	// light client verified to check the replayed events (0 when reads are not verified).
	VerifiedFirst, VerifiedLast int64
}

// EventsPerSecond is the replay rate.
func (r Report) EventsPerSecond() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.Events) / r.Duration.Seconds()
}

func (r Report) String() string {
	verified := "reads not verified"
	if r.VerifiedLast > 0 {
		verified = fmt.Sprintf("verified heights %d..%d", r.VerifiedFirst, r.VerifiedLast)
	}
	return fmt.Sprintf("recovered %d events up to height %d in %s (%.0f events/s): ledger end %d, %d active contracts, ACS hash %s, %s",
		r.Events, r.Height, r.Duration.Round(time.Millisecond), r.EventsPerSecond(), r.LedgerEnd, r.Contracts, hex.EncodeToString(r.ACSHash), verified)
}

// Recover rebuilds the participant's database, which must be empty, from its event
// stream on the chain: it replays from counter 0 until it is live (it has applied every
// event up to the chain height at its start), printing progress to w every interval,
// sends what the replay finds still unanswered, and stops.
func Recover(ctx context.Context, o Options, w io.Writer, every time.Duration) (Report, error) {
	if err := badgerx.NotInUse(path(o.Home, o.Config.Database), "participant", "cometsync participant start"); err != nil {
		return Report{}, err
	}
	empty, err := DatabaseEmpty(o.Home, o.Config)
	if err != nil {
		return Report{}, err
	}
	if !empty {
		return Report{}, fmt.Errorf("database %s is not empty: recovery rebuilds it from the chain (remove it first, or use --wipe)", path(o.Home, o.Config.Database))
	}
	o.NoLedgerAPI, o.giveUpOnLies = true, true
	start := time.Now()
	d, err := Start(ctx, o)
	if err != nil {
		return Report{}, err
	}
	defer d.Stop()
	live := make(chan error, 1)
	go func() {
		live <- d.Node.WaitProgress(ctx, func(p participant.Progress) bool { return p.Live && p.Outbox == 0 })
	}()
	t := time.NewTicker(every)
	defer t.Stop()
	last, lastAt, firstHeight := int64(0), start, int64(0)
	for {
		select {
		case err := <-live:
			if err != nil {
				return Report{}, err
			}
			p := d.Node.Progress()
			first, last := d.Node.VerifiedHeights()
			return Report{Events: p.NextCounter, Height: p.Height, Duration: time.Since(start), LedgerEnd: p.LedgerEnd,
				Contracts: len(d.Node.ACS()), ACSHash: d.Node.ACSHash(), VerifiedFirst: first, VerifiedLast: last}, nil
		case now := <-t.C:
			p := d.Node.Progress()
			rate := float64(p.NextCounter-last) / now.Sub(lastAt).Seconds()
			eta := "unknown"
			if firstHeight == 0 {
				firstHeight = p.Height
			} else if p.StartHeight > p.Height && p.Height > firstHeight {
				perSecond := float64(p.Height-firstHeight) / now.Sub(start).Seconds()
				eta = time.Duration(float64(p.StartHeight-p.Height) / perSecond * float64(time.Second)).Round(time.Second).String()
			}
			fmt.Fprintf(w, "replayed %d events, height %d of %d, %.0f events/s, ETA %s\n", p.NextCounter, p.Height, p.StartHeight, rate, eta)
			last, lastAt = p.NextCounter, now
		}
	}
}
