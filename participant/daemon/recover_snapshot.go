package daemon

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cometsync/cometsync/internal/badgerx"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/snapshot"
	"github.com/cometsync/cometsync/participant/store"
)

// SnapshotReport is the outcome of a recovery from a snapshot.
type SnapshotReport struct {
	Tick       int64 // the snapshot's
	Contracts  int   // imported
	Events     int64 // of the participant's stream replayed after the snapshot
	Duration   time.Duration
	VerifiedBy []string // counter-participants whose commitment for the tick matched
	LedgerEnd  int64
	ACSHash    []byte
}

func (r SnapshotReport) String() string {
	by := "no counter-participant shares its contracts"
	if len(r.VerifiedBy) > 0 {
		by = "verified by " + strings.Join(r.VerifiedBy, ", ")
	}
	return fmt.Sprintf("recovered from the snapshot at tick %d (%s): %d contracts imported, %d events replayed in %s: ledger end %d, ACS hash %s",
		r.Tick, by, r.Contracts, r.Events, r.Duration.Round(time.Millisecond), r.LedgerEnd, hex.EncodeToString(r.ACSHash))
}

// RecoverFromSnapshot rebuilds the participant's database, which must be empty, from the
// snapshot in file: its contracts become the ACS, the node checks the signature and
// compares the snapshot with every commitment on its stream whose period holds the tick
// (waiting up to verify for each counter-participant sharing its contracts), then
// replays its stream after the snapshot until it is live, and stops. A refused snapshot
// leaves the database empty again.
func RecoverFromSnapshot(ctx context.Context, o Options, file string, verify time.Duration) (r SnapshotReport, err error) {
	dir := path(o.Home, o.Config.Database)
	if err := badgerx.NotInUse(dir, "participant", "cometsync participant start"); err != nil {
		return r, err
	}
	empty, err := DatabaseEmpty(o.Home, o.Config)
	if err != nil {
		return r, err
	}
	if !empty {
		return r, fmt.Errorf("database %s is not empty: recovery rebuilds it from the snapshot (remove it first, or use --wipe)", dir)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return r, err
	}
	s, err := snapshot.Decode(raw)
	if err != nil {
		return r, fmt.Errorf("%s: %w", file, err)
	}
	start := time.Now()
	st, err := store.Open(dir, o.Logger)
	if err != nil {
		return r, err
	}
	if s.Participant == o.Config.Member { // a counter-participant's: the node imports the shared part
		err = participant.ImportSnapshot(st, s)
	}
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	defer func() {
		if err != nil { // the database was empty: leave it so
			err = errors.Join(err, os.RemoveAll(dir))
		}
	}()
	if err != nil {
		return r, err
	}
	o.NoLedgerAPI, o.VerifySnapshot = true, s
	d, err := Start(ctx, o)
	if err != nil {
		return r, fmt.Errorf("snapshot %s refused: %w", file, err)
	}
	vctx, cancel := context.WithTimeout(ctx, verify)
	verified, err := d.Node.WaitSnapshotVerified(vctx)
	cancel()
	if err == nil {
		err = d.Node.WaitProgress(ctx, func(p participant.Progress) bool { return p.Live && p.Outbox == 0 })
	}
	p := d.Node.Progress()
	r = SnapshotReport{Tick: s.Tick, Contracts: len(s.Contracts), Events: p.NextCounter - s.NextCounter, VerifiedBy: verified,
		LedgerEnd: p.LedgerEnd, ACSHash: d.Node.ACSHash()}
	if s.Participant != o.Config.Member {
		r.Contracts, r.Events = d.Node.ImportedContracts(), p.NextCounter-d.Node.ImportedAt()
	}
	if serr := d.Stop(); err == nil {
		err = serr
	}
	r.Duration = time.Since(start)
	if err != nil {
		return SnapshotReport{}, fmt.Errorf("snapshot %s refused: %w", file, err)
	}
	return r, nil
}

// ExportSnapshot takes the stopped participant's signed ACS snapshot from its database at
// tick (0: the latest tick without a request in flight), filtered to parties when not
// empty.
func ExportSnapshot(o Options, tick int64, parties []string) (*snapshot.Snapshot, error) {
	dir := path(o.Home, o.Config.Database)
	if err := badgerx.NotInUse(dir, "participant", "cometsync participant start"); err != nil {
		return nil, err
	}
	if empty, err := DatabaseEmpty(o.Home, o.Config); err != nil || empty {
		return nil, errors.Join(err, fmt.Errorf("database %s is empty: nothing to export", dir))
	}
	key, err := o.Keys.SigningKey()
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	st, err := store.Open(dir, o.Logger)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	id, err := st.Identity()
	if err != nil {
		return nil, err
	}
	if id.Participant != o.Config.Member {
		return nil, fmt.Errorf("database %s belongs to %s, not %s", dir, id.Participant, o.Config.Member)
	}
	return participant.ExportSnapshot(st, id.SynchronizerID, id.Participant, key, tick, parties)
}

// DatabasePath is the participant's database directory.
func DatabasePath(home string, c Config) string { return path(home, c.Database) }
