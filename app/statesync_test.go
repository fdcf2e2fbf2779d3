package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/internal/chaintest"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/proto/sequencersvc"
	"github.com/cometsync/cometsync/seqapi"
	"github.com/cometsync/cometsync/testnet"
)

// TestStateSyncedNodeServesSameEvents starts a chain that takes snapshots, lets a new
// node join by state sync from a snapshot, and checks that it serves every member's
// stream exactly as the validator does, from counter 0 (a snapshot holds the whole
// event history) and for events sequenced after it joined.
func TestStateSyncedNodeServesSameEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("state sync")
	}
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: participants("alice", "bob"), RPC: true, SnapshotInterval: 5, SnapshotKeepRecent: 1000})
	alice, bob := net.Member("alice"), net.Member("bob")
	c0 := dialRaw(t, net.APIAddress(0))
	actx := c0.login(t, alice)
	sendN(t, c0, actx, alice, "early", 6, bob.ID)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	snapHeight := awaitSnapshot(t, ctx, net, 0)
	if err := net.WaitHeight(ctx, 0, int64(snapHeight)+2); err != nil {
		t.Fatal(err)
	}

	idx, err := net.AddNode(testnet.AddNodeOptions{StateSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Start(idx); err != nil {
		t.Fatal(err)
	}
	sendN(t, c0, actx, alice, "late", 3, bob.ID)
	if err := net.WaitHeight(ctx, idx, net.Node(0).App().Meta().Height); err != nil {
		t.Fatal(err)
	}
	if base := net.Node(idx).CometBFT().BlockStore().Base(); base <= 1 {
		t.Fatalf("new node's block store starts at %d: it replayed blocks instead of restoring a snapshot", base)
	}
	c1 := dialRaw(t, net.APIAddress(idx))
	// The blocks it never had are answered as pruned, with its earliest height.
	base := net.Node(idx).CometBFT().BlockStore().Base()
	_, err = sequencersvc.NewSequencerProofServiceClient(c1.conn).GetLightBlock(ctx, &pb.GetLightBlockRequest{Height: base - 1})
	wantRefused(t, "light block below the block store's base", err, codes.FailedPrecondition, fmt.Sprintf("the block store holds heights from %d on", base))
	var info *errdetails.ErrorInfo
	for _, d := range status.Convert(err).Details() {
		if i, ok := d.(*errdetails.ErrorInfo); ok {
			info = i
		}
	}
	if info == nil || info.Reason != seqapi.ReasonBlocksPruned || info.Metadata[seqapi.MetadataEarliestHeight] != fmt.Sprint(base) {
		t.Fatalf("error info %v, want %s with earliest height %d", info, seqapi.ReasonBlocksPruned, base)
	}
	for _, m := range []testnet.Member{alice, bob} {
		want := c0.readEvents(t, c0.login(t, m), m.ID, 0, 9)
		sameEvents(t, m.ID+" on the state-synced node", c1.readEvents(t, c1.login(t, m), m.ID, 0, 9), want)
	}
}

// awaitSnapshot waits, commit by commit, until node i lists a snapshot, and returns its height.
func awaitSnapshot(t *testing.T, ctx context.Context, net *testnet.Network, i int) uint64 {
	t.Helper()
	for {
		notify := net.Node(i).CommitNotify()
		res, err := net.Node(i).App().ListSnapshots(ctx, &abcitypes.RequestListSnapshots{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Snapshots) > 0 {
			return res.Snapshots[0].Height
		}
		select {
		case <-notify:
		case <-ctx.Done():
			t.Fatalf("no snapshot on node %d: %v", i, ctx.Err())
		}
	}
}
