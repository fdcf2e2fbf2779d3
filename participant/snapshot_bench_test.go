package participant_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/commitments"
	"github.com/cometsync/cometsync/participant/snapshot"
)

// TestRecoveryTimeSnapshotVersusReplay rebuilds the trader after a history of IOU
// transfers twice, by a full replay from counter 0 and from its snapshot at the latest
// tick, and logs both times (docs/performance.md). SNAPSHOT_BENCH_TRANSFERS sets the
// history's length (10 by default). It asserts both reach the same ACS hash, not times.
func TestRecoveryTimeSnapshotVersusReplay(t *testing.T) {
	transfers := 10
	if v, err := strconv.Atoi(os.Getenv("SNAPSHOT_BENCH_TRANSFERS")); err == nil && v > 0 {
		transfers = v
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	e, trader, _ := startIOUEnv(t, ctx)
	for i := range transfers {
		e.transferIOU(t, ctx, trader, strconv.Itoa(100+i))
	}
	committed := time.Now().UnixMicro()
	if _, err := trader.WaitCommitment(ctx, func(o commitments.Outcome) bool { return o.Counter == e.bankID && o.Start >= committed && o.Match }); err != nil {
		t.Fatal(err)
	}
	snap, err := trader.ExportSnapshot(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.bankNode.WaitCommitment(ctx, func(o commitments.Outcome) bool { return o.Counter == e.traderID && o.End >= snap.Tick }); err != nil {
		t.Fatal(err)
	}
	if err := e.bankNode.WaitProgress(ctx, func(p participant.Progress) bool { return p.Outbox == 0 }); err != nil {
		t.Fatal(err)
	}
	e.stopPoking()
	want := trader.ACSHash()
	full := trader.Progress().NextCounter
	trader.Stop()

	start := time.Now()
	replayed, err := participant.Start(ctx, e.traderCfg(openClosedStore(t, filepath.Join(t.TempDir(), "replay"))))
	if err != nil {
		t.Fatal(err)
	}
	if err := replayed.WaitProgress(ctx, func(p participant.Progress) bool { return p.NextCounter >= full }); err != nil {
		t.Fatal(err)
	}
	replayTime := time.Since(start)
	replayHash := replayed.ACSHash()
	replayed.Stop()

	decoded, err := snapshot.Decode(snap.Encode())
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	st := openClosedStore(t, filepath.Join(t.TempDir(), "snapshot"))
	if err := participant.ImportSnapshot(st, decoded); err != nil {
		t.Fatal(err)
	}
	cfg := e.traderCfg(st)
	cfg.VerifySnapshot = decoded
	recovered, err := participant.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer recovered.Stop()
	if _, err := recovered.WaitSnapshotVerified(ctx); err != nil {
		t.Fatal(err)
	}
	if err := recovered.WaitProgress(ctx, func(p participant.Progress) bool { return p.NextCounter >= full }); err != nil {
		t.Fatal(err)
	}
	snapTime := time.Since(start)
	if string(replayHash) != string(want) || string(recovered.ACSHash()) != string(want) {
		t.Fatalf("ACS hashes differ: replay %x, snapshot %x, before %x", replayHash, recovered.ACSHash(), want)
	}
	t.Logf("recovery of %d events (%d transfers, %d active contracts): full replay %s; from the snapshot at counter %d (%d events replayed) %s",
		full, transfers, len(decoded.Contracts), replayTime.Round(time.Millisecond), decoded.NextCounter, full-decoded.NextCounter, snapTime.Round(time.Millisecond))
}
