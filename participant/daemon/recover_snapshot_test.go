package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/participant/daemon"
	"github.com/cometsync/cometsync/participant/ledgerapi"
	"github.com/cometsync/cometsync/participant/snapshot"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
	seqpb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/testnet"
	"github.com/cometsync/cometsync/topology"
)

// TestRecoverFromSnapshotDaemon: a participant daemon's snapshot, exported while it is
// stopped, rebuilds its wiped database through daemon.RecoverFromSnapshot (the path of
// `participant recover --from-snapshot`) to the same ACS hash; a copy with a broken
// signature is refused and leaves the database empty. The recovered participant's Ledger
// API reports the pruned offset (after the snapshot's ledger offset) and answers reads
// before it with FAILED_PRECONDITION / PARTICIPANT_PRUNED_DATA_ACCESSED.
func TestRecoverFromSnapshotDaemon(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	net := startChain(t)
	setReconciliationInterval(t, ctx, net, time.Second)
	startMediator(t, ctx, net, "")
	h := newHome(t, net, "bankp")
	d, err := daemon.Start(ctx, h.o)
	if err != nil {
		t.Fatal(err)
	}
	admin := h.client(t, ctx, d, "participant_admin")
	bank := admin.allocate("Bank")
	admin.createUser("bank-ops", bank)
	ops := h.client(t, ctx, d, "bank-ops")
	// Proposals until the participant computed a tick after one committed (an event after
	// a tick boundary: with a tick every second, a few).
	for i := 0; ; i++ {
		if _, err := ops.submit(fmt.Sprintf(`{"actAs": [%q], "create": {"template": "iou:IouProposal", "arguments": {"issuer": %q, "owner": %q, "amount": "%d", "currency": "CHF"}}}`, bank, bank, bank, i+1)); err != nil {
			t.Fatal(err)
		}
		if s, err := d.Node.ExportSnapshot(0, nil); err == nil && s.Offset >= 1 {
			break
		}
		if i == 100 {
			t.Fatal("no tick after a committed proposal")
		}
	}
	before := d.Node.ACSHash()
	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}
	snap, err := daemon.ExportSnapshot(h.o, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Offset < 1 || len(snap.Contracts) < 1 {
		t.Fatalf("snapshot at offset %d with %d contracts", snap.Offset, len(snap.Contracts))
	}
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "bank.snapshot"), filepath.Join(dir, "bad.snapshot")
	b := snap.Encode()
	if err := os.WriteFile(good, b, 0o600); err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1 // the last byte of the signature
	if err := os.WriteFile(bad, b, 0o600); err != nil {
		t.Fatal(err)
	}

	if err := daemon.WipeDatabase(h.dir, h.o.Config); err != nil {
		t.Fatal(err)
	}
	if _, err := daemon.RecoverFromSnapshot(ctx, h.o, bad, time.Minute); !errors.Is(err, snapshot.ErrBadSignature) {
		t.Fatalf("broken signature: %v", err)
	}
	if empty, err := daemon.DatabaseEmpty(h.dir, h.o.Config); err != nil || !empty {
		t.Fatalf("after a refused snapshot the database is not empty (%v)", err)
	}
	r, err := daemon.RecoverFromSnapshot(ctx, h.o, good, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(r)
	if !bytes.Equal(r.ACSHash, before) || r.Contracts != len(snap.Contracts) || r.Tick != snap.Tick {
		t.Fatalf("report %v: ACS hash before %x", r, before)
	}

	if d, err = daemon.Start(ctx, h.o); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Stop() })
	ops = h.client(t, ctx, d, "bank-ops")
	end, err := pb.NewStateServiceClient(ops.conn).GetLedgerEnd(ops.ctx, &pb.GetLedgerEndRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if end.PrunedOffset != snap.Offset+1 || end.Offset < snap.Offset {
		t.Fatalf("ledger end %v, snapshot at offset %d", end, snap.Offset)
	}
	_, err = pb.NewUpdateServiceClient(ops.conn).GetUpdateByOffset(ops.ctx, &pb.GetUpdateByOffsetRequest{Offset: 1})
	if status.Code(err) != codes.FailedPrecondition || ledgerapi.ReasonOf(err) != ledgerapi.ReasonPrunedDataAccessed ||
		ledgerapi.ErrorInfoOf(err).Metadata[ledgerapi.MetaPrunedOffset] != strconv.FormatInt(end.PrunedOffset, 10) {
		t.Fatalf("update at offset 1 after recovery from the snapshot: %v", err)
	}
	s, err := pb.NewUpdateServiceClient(ops.conn).GetUpdates(ops.ctx, &pb.GetUpdatesRequest{BeginOffset: 1})
	if err == nil {
		_, err = s.Recv()
	}
	if ledgerapi.ReasonOf(err) != ledgerapi.ReasonPrunedDataAccessed {
		t.Fatalf("updates from offset 1: %v", err)
	}
}

// setReconciliationInterval has the synchronizer owner set the reconciliation interval
// (sent as the mediator member, before its node starts).
func setReconciliationInterval(t *testing.T, ctx context.Context, net *testnet.Network, every time.Duration) {
	t.Helper()
	med := net.Member("mediator")
	dcfg := driver.DefaultConfig()
	dcfg.Endpoints, dcfg.Member, dcfg.SigningKey = net.APIAddresses(), med.ID, med.Key
	c, err := driver.New(dcfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = c.Subscribe(sctx, 0, func(context.Context, *seqpb.SequencedEvent) error { return nil }) }() // SendAndWait reads the receipt
	ts, err := c.DownloadTopologyState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	params, _ := ts.State.Head().Parameters()
	params.ReconciliationIntervalMicros = every.Microseconds()
	key, err := net.SynchronizerKey()
	if err != nil {
		t.Fatal(err)
	}
	tx, err := topology.NewTransaction(topopb.Operation_OPERATION_REPLACE, 2, topology.NewSynchronizerParameters(ts.State.Head().Synchronizer(), params))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendAndWait(ctx, &seqpb.Batch{Envelopes: []*seqpb.Envelope{{
		Recipients: []*seqpb.Recipient{{Group: seqpb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER}}, Content: topology.Sign(tx, false, key).Marshal(),
	}}}, driver.SendOptions{}); err != nil {
		t.Fatal(err)
	}
}
