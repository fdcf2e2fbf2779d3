package participant_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/commitments"
	"github.com/cometsync/cometsync/participant/snapshot"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// TestRecoverFromSnapshotAfterPruning: the trader exports a snapshot, acknowledges its
// stream past it and is wiped; the sequencer then prunes everything sequenced before the
// snapshot's tick (events, batches, and CometBFT's blocks below the pruning height), so a replay from counter 0 is refused (EVENTS_PRUNED naming the
// earliest counter). The snapshot plus the stream after it rebuild the same ACS hash,
// verified against the bank's commitment, and the recovered trader transacts, spending
// nothing it lost.
func TestRecoverFromSnapshotAfterPruning(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	e, trader, _ := startIOUEnv(t, ctx)
	if _, err := trader.WaitCommitment(ctx, func(o commitments.Outcome) bool { return o.Counter == e.bankID && o.Start >= e.committedAt && o.Match }); err != nil {
		t.Fatalf("waiting for a matching commitment: %v", err)
	}
	snap, err := trader.ExportSnapshot(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := snap.ACS()[e.iou]; !ok {
		t.Fatalf("snapshot at tick %d without the IOU", snap.Tick)
	}
	if _, err := e.bankNode.WaitCommitment(ctx, func(o commitments.Outcome) bool { return o.Counter == e.traderID && o.End >= snap.Tick }); err != nil {
		t.Fatal(err)
	}
	if err := e.bankNode.WaitProgress(ctx, func(p participant.Progress) bool { return p.Outbox == 0 }); err != nil {
		t.Fatal(err)
	}
	// The trader's acknowledgement passes the snapshot's position before it goes.
	node := e.net.Node(0)
	for {
		ch := node.CommitNotify()
		r, release := node.App().Snapshot()
		ack, err := core.ReadAck(r.Get, e.traderID)
		release()
		if err != nil {
			t.Fatal(err)
		}
		if ack != nil && ack.Counter >= snap.NextCounter {
			break
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("the trader's acknowledgement %v never passed counter %d", ack, snap.NextCounter)
		}
	}
	file := snap.Encode()
	before := trader.ACSHash()
	full := trader.Progress().NextCounter
	trader.Stop()

	plan, err := node.App().Prune(core.PruneOptions{BeforeMicros: snap.Tick})
	if err != nil {
		t.Fatal(err)
	}
	var earliest int64 = -1
	for _, m := range plan.Point.GetMembers() {
		if m.Member == e.traderID {
			earliest = m.EarliestCounter
		}
	}
	if earliest <= 0 || earliest > snap.NextCounter {
		t.Fatalf("pruned %+v: the trader's earliest counter is %d, want in (0, %d]", plan.Stats, earliest, snap.NextCounter)
	}
	// CometBFT drops its blocks below the pruning height at the next commits.
	if plan.Point.Height <= 1 {
		t.Fatalf("pruning point %v: no block may go", plan.Point)
	}
	for node.CometBFT().BlockStore().Base() < plan.Point.Height {
		select {
		case <-node.CommitNotify():
		case <-ctx.Done():
			t.Fatalf("block store base %d, pruning height %d", node.CometBFT().BlockStore().Base(), plan.Point.Height)
		}
	}
	t.Logf("pruned before tick %d: %+v; the trader's stream starts at counter %d, the snapshot at %d; blocks from height %d kept",
		snap.Tick, plan.Stats, earliest, snap.NextCounter, node.CometBFT().BlockStore().Base())
	// A replay from counter 0 is no longer possible.
	d, err := driver.New(driverConfig(e.net, e.net.Member("traderp")), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	err = d.Subscribe(ctx, 0, func(context.Context, *pb.SequencedEvent) error { return nil })
	var pe *driver.PrunedError
	if !errors.As(err, &pe) || pe.Earliest != earliest {
		t.Fatalf("replay from counter 0 after the prune: %v, want EVENTS_PRUNED with earliest counter %d", err, earliest)
	}
	d.Close()

	decoded, err := snapshot.Decode(file)
	if err != nil {
		t.Fatal(err)
	}
	st := openClosedStore(t, filepath.Join(t.TempDir(), "trader-recovered"))
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
	verified, err := recovered.WaitSnapshotVerified(ctx)
	if err != nil || !slices.Contains(verified, e.bankID) {
		t.Fatalf("verification after the prune: verified by %v: %v", verified, err)
	}
	if err := recovered.WaitProgress(ctx, func(p participant.Progress) bool { return p.NextCounter >= full }); err != nil {
		t.Fatal(err)
	}
	if got := recovered.ACSHash(); !bytes.Equal(got, before) {
		t.Fatalf("ACS hash %x after recovery, %x before the wipe", got, before)
	}
	e.transferIOU(t, ctx, recovered, "8")
	if _, ok := recovered.ACS()[e.iou]; !ok {
		t.Fatal("the IOU from before the snapshot is gone")
	}
}
