package app_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/app"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/chaintest"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
	"github.com/cometsync/cometsync/testnet"
)

// readStream reads n events of member's stream from counter from through c.
func readStream(t *testing.T, ctx context.Context, c *rawClient, member string, from int64, n int) ([]*pb.SequencedEvent, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	st, err := c.seq.Subscribe(ctx, &pb.SubscribeRequest{Member: member, FromCounter: from})
	if err != nil {
		return nil, err
	}
	var out []*pb.SequencedEvent
	for len(out) < n {
		resp, err := st.Recv()
		if err != nil {
			return out, err
		}
		if evs := resp.GetEvents(); len(evs) > 0 {
			out = append(out, evs...)
		} else {
			out = append(out, resp.GetEvent())
		}
	}
	return out[:n], nil
}

func mustStream(t *testing.T, ctx context.Context, c *rawClient, member string, from int64, n int) []*pb.SequencedEvent {
	t.Helper()
	evs, err := readStream(t, ctx, c, member, from, n)
	if err != nil {
		t.Fatalf("read %d events of %s from %d: %v", n, member, from, err)
	}
	if evs[0].Counter != from {
		t.Fatalf("stream of %s from %d starts at %d", member, from, evs[0].Counter)
	}
	return evs
}

func memberDriver(t *testing.T, net *testnet.Network, m testnet.Member, endpoints ...string) *driver.Client {
	t.Helper()
	cfg := driver.DefaultConfig()
	cfg.Endpoints, cfg.Member, cfg.SigningKey = endpoints, m.ID, m.Key
	cfg.MaxReconnectBackoff = 200 * time.Millisecond
	c, err := driver.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// awaitAcks waits until every running node of net stores the same acknowledgement of
// each member in want (member id -> counter) and returns it.
func awaitAcks(t *testing.T, ctx context.Context, net *testnet.Network, nodes []int, want map[string]int64) map[string]*pb.StoredAcknowledgement {
	t.Helper()
	var first map[string]*pb.StoredAcknowledgement
	for _, i := range nodes {
		n := net.Node(i)
		for {
			ch := n.CommitNotify()
			r, release := n.App().Snapshot()
			got := map[string]*pb.StoredAcknowledgement{}
			ok := true
			for m, c := range want {
				st, err := core.ReadAck(r.Get, m)
				if err != nil {
					release()
					t.Fatal(err)
				}
				if st == nil || st.Counter != c {
					ok = false
				}
				got[m] = st
			}
			release()
			if ok {
				if first == nil {
					first = got
				}
				for m := range want {
					if got[m].String() != first[m].String() {
						t.Fatalf("node %d stores acknowledgement %v of %s, node %d %v", i, got[m], m, nodes[0], first[m])
					}
				}
				break
			}
			select {
			case <-ch:
			case <-ctx.Done():
				t.Fatalf("node %d: acknowledgements %v, want counters %v: %v", i, got, want, ctx.Err())
			}
		}
	}
	return first
}

func wantRefused(t *testing.T, what string, err error, code codes.Code, reason string) {
	t.Helper()
	if status.Code(err) != code || !strings.Contains(status.Convert(err).Message(), reason) {
		t.Fatalf("%s: %v, want %v with %q", what, err, code, reason)
	}
}

// TestAcknowledgePruneOnChain runs the pruning life cycle on a real 4-validator chain:
// signed acknowledgements land on-chain, equal on every validator; forged, foreign,
// backwards and beyond-the-stream ones are refused with their reasons; a prune during
// the run removes the acknowledged events (the member that never acknowledged keeps
// its own), a subscriber from a pruned counter gets EVENTS_PRUNED and the driver's
// ErrPruned with the earliest counter, the members go on, the pruned node restarts fine,
// a stopped node pruned by PruneHome passes the integrity check and rejoins, and the
// validators keep agreeing on the app hash.
func TestAcknowledgePruneOnChain(t *testing.T) {
	net := chaintest.Start(t, testnet.Options{Validators: 4, Members: participants("alice", "bob", "carol")})
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	alice, bob, carol := net.Member("alice"), net.Member("bob"), net.Member("carol")
	c := dialRaw(t, net.APIAddress(0))
	actx, bctx, cctx := c.login(t, alice), c.login(t, bob), c.login(t, carol)
	const n = 5
	for i := range n {
		id := fmt.Sprintf("m%d", i)
		if _, err := c.seq.Send(actx, &pb.SendRequest{Submission: submission(alice.ID, alice.Key, id, time.Now().Add(time.Minute), []byte(id), to(bob.ID, carol.ID)...)}); err != nil {
			t.Fatalf("send %s: %v", id, err)
		}
	}
	aev := mustStream(t, actx, c, alice.ID, 0, n)
	bev := mustStream(t, bctx, c, bob.ID, 0, n)
	mustStream(t, cctx, c, carol.ID, 0, n)

	// Acknowledgements through the driver, signed, on-chain, equal on all validators.
	ad, bd := memberDriver(t, net, alice, net.APIAddresses()...), memberDriver(t, net, bob, net.APIAddresses()...)
	for _, d := range []*driver.Client{ad, bd} {
		if err := d.Connect(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := ad.AcknowledgeEvent(ctx, n-1, aev[n-1].TimestampMicros); err != nil {
		t.Fatalf("alice acknowledges: %v", err)
	}
	if err := bd.AcknowledgeEvent(ctx, n-1, bev[n-1].TimestampMicros); err != nil {
		t.Fatalf("bob acknowledges: %v", err)
	}
	awaitAcks(t, ctx, net, []int{0, 1, 2, 3}, map[string]int64{alice.ID: n - 1, bob.ID: n - 1})

	// Bad acknowledgements are refused with their reasons.
	signed := func(k testnet.Member, member string, counter, ts int64) []byte {
		sa, err := seqapi.SignAcknowledgement(k.Key, &pb.Acknowledgement{Member: member, Counter: counter, TimestampMicros: ts, SynchronizerId: c.syncID})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := sa.Marshal()
		return b
	}
	ack := func(ctx context.Context, member string, sa []byte) error {
		_, err := c.seq.Acknowledge(ctx, &pb.AcknowledgeRequest{Member: member, SignedAcknowledgement: sa})
		return err
	}
	wantRefused(t, "alice's acknowledgement signed with bob's key", ack(actx, alice.ID, signed(bob, alice.ID, n, 0)),
		codes.PermissionDenied, "is not a current signing key of "+alice.ID)
	wantRefused(t, "alice sends an acknowledgement for bob", ack(actx, alice.ID, signed(bob, bob.ID, n-1, bev[n-1].TimestampMicros)),
		codes.PermissionDenied, "may not acknowledge for "+bob.ID)
	wantRefused(t, "an acknowledgement beyond the stream", ack(actx, alice.ID, signed(alice, alice.ID, 99, aev[n-1].TimestampMicros)),
		codes.InvalidArgument, fmt.Sprintf("counter 99 is beyond its stream (next counter %d)", n))
	wantRefused(t, "an acknowledgement moving backwards", ack(actx, alice.ID, signed(alice, alice.ID, 1, aev[1].TimestampMicros)),
		codes.InvalidArgument, "does not move forward")

	// Prune node 0 while the chain runs.
	plan, err := net.Node(0).App().Prune(core.PruneOptions{BeforeMicros: aev[n-1].TimestampMicros + 1})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Stats.Events != 2*n || plan.Stats.Batches != 0 {
		t.Fatalf("pruned %+v, want alice's and bob's %d events each and no batch (carol holds them)", plan.Stats, n)
	}
	if len(plan.Held) != 1 || plan.Held[0].Member != carol.ID || plan.Held[0].Kept != n {
		t.Fatalf("held back by %+v, want carol with %d events", plan.Held, n)
	}
	// The lagging member keeps its events; the pruned ones are refused with the reason.
	if evs := mustStream(t, cctx, c, carol.ID, 0, n); string(evs[n-1].Batch.Envelopes[0].Content) != "m4" {
		t.Fatalf("carol's last event %v", evs[n-1])
	}
	_, err = readStream(t, actx, c, alice.ID, 0, 1)
	wantRefused(t, "subscribe from a pruned counter", err, codes.FailedPrecondition, fmt.Sprintf("earliest available counter is %d", n))
	var info *errdetails.ErrorInfo
	for _, d := range status.Convert(err).Details() {
		if i, ok := d.(*errdetails.ErrorInfo); ok {
			info = i
		}
	}
	if info == nil || info.Reason != seqapi.ReasonEventsPruned || info.Metadata[seqapi.MetadataEarliestCounter] != fmt.Sprint(n) {
		t.Fatalf("error info %v", info)
	}
	pd := memberDriver(t, net, alice, net.APIAddress(0))
	err = pd.Subscribe(ctx, 0, func(context.Context, *pb.SequencedEvent) error { return nil })
	var pe *driver.PrunedError
	if !errors.Is(err, driver.ErrPruned) || !errors.As(err, &pe) || pe.Earliest != n {
		t.Fatalf("driver subscription from a pruned counter: %v", err)
	}

	// The members go on.
	if _, err := c.seq.Send(actx, &pb.SendRequest{Submission: submission(alice.ID, alice.Key, "after", time.Now().Add(time.Minute), []byte("after"), to(bob.ID)...)}); err != nil {
		t.Fatal(err)
	}
	if evs := mustStream(t, bctx, c, bob.ID, n, 1); string(evs[0].Batch.Envelopes[0].Content) != "after" {
		t.Fatalf("bob's event after the prune: %v", evs[0])
	}
	mustStream(t, actx, c, alice.ID, n, 1)

	// The pruned node restarts and keeps its pruning point.
	net.Stop(0)
	if err := net.Start(0); err != nil {
		t.Fatalf("restart the pruned node: %v", err)
	}
	c = dialRaw(t, net.APIAddress(0))
	actx, cctx = c.login(t, alice), c.login(t, carol)
	_, err = readStream(t, actx, c, alice.ID, 0, 1)
	wantRefused(t, "subscribe from a pruned counter after the restart", err, codes.FailedPrecondition, fmt.Sprintf("earliest available counter is %d", n))
	mustStream(t, cctx, c, carol.ID, 0, n)

	// A stopped node pruned offline passes the integrity check and rejoins.
	net.Stop(1)
	rep, err := app.PruneHome(net.Homes[1].Home, func(last int64) core.PruneOptions { return core.PruneOptions{BeforeMicros: last + 1} }, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Plan.Stats.Events < 2*n {
		t.Fatalf("offline prune removed %+v", rep.Plan.Stats)
	}
	if err := app.CheckAppDB(net.Homes[1].Home); err != nil {
		t.Fatalf("integrity check after the prune: %v", err)
	}
	if err := net.Start(1); err != nil {
		t.Fatalf("start the node pruned offline: %v", err)
	}
	h := net.Node(2).App().Meta().Height + 3
	for i := range 4 {
		if err := net.WaitHeight(ctx, i, h+1); err != nil {
			t.Fatal(err)
		}
	}
	want := net.AppHashAt(2, h)
	for i := range 4 {
		if got := net.AppHashAt(i, h); string(got) != string(want) {
			t.Fatalf("node %d app hash at %d %x, node 2 %x", i, h, got, want)
		}
	}
}

// TestStateSyncAfterPrune: a node joins by state sync from a snapshot of a pruned
// validator; it serves the pruning point it restored (EVENTS_PRUNED below it) and the
// events after it, and follows the chain.
func TestStateSyncAfterPrune(t *testing.T) {
	if testing.Short() {
		t.Skip("state sync")
	}
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: participants("alice", "bob"), RPC: true, SnapshotInterval: 5, SnapshotKeepRecent: 1000})
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	alice, bob := net.Member("alice"), net.Member("bob")
	c0 := dialRaw(t, net.APIAddress(0))
	actx, bctx := c0.login(t, alice), c0.login(t, bob)
	const n = 4
	sendN(t, c0, actx, alice, "early", n, bob.ID)
	aev, bev := mustStream(t, actx, c0, alice.ID, 0, n), mustStream(t, bctx, c0, bob.ID, 0, n)
	ad, bd := memberDriver(t, net, alice, net.APIAddress(0)), memberDriver(t, net, bob, net.APIAddress(0))
	for _, x := range []struct {
		d  *driver.Client
		ts int64
	}{{ad, aev[n-1].TimestampMicros}, {bd, bev[n-1].TimestampMicros}} {
		if err := x.d.Connect(ctx); err != nil {
			t.Fatal(err)
		}
		if err := x.d.AcknowledgeEvent(ctx, n-1, x.ts); err != nil {
			t.Fatal(err)
		}
	}
	awaitAcks(t, ctx, net, []int{0}, map[string]int64{alice.ID: n - 1, bob.ID: n - 1})
	if _, err := net.Node(0).App().Prune(core.PruneOptions{BeforeMicros: aev[n-1].TimestampMicros + 1}); err != nil {
		t.Fatal(err)
	}
	pruned := net.Node(0).App().Meta().Height
	for { // a snapshot of the pruned state
		notify := net.Node(0).CommitNotify()
		res, err := net.Node(0).App().ListSnapshots(ctx, &abcitypes.RequestListSnapshots{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Snapshots) > 0 && int64(res.Snapshots[0].Height) > pruned+1 {
			if err := net.WaitHeight(ctx, 0, int64(res.Snapshots[0].Height)+2); err != nil {
				t.Fatal(err)
			}
			break
		}
		select {
		case <-notify:
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
	idx, err := net.AddNode(testnet.AddNodeOptions{StateSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Start(idx); err != nil {
		t.Fatal(err)
	}
	sendN(t, c0, actx, alice, "late", 2, bob.ID)
	if err := net.WaitHeight(ctx, idx, net.Node(0).App().Meta().Height); err != nil {
		t.Fatal(err)
	}
	c1 := dialRaw(t, net.APIAddress(idx))
	a1, b1 := c1.login(t, alice), c1.login(t, bob)
	_, err = readStream(t, a1, c1, alice.ID, 0, 1)
	wantRefused(t, "subscribe from a pruned counter on the state-synced node", err, codes.FailedPrecondition, fmt.Sprintf("earliest available counter is %d", n))
	if evs := mustStream(t, b1, c1, bob.ID, n, 2); string(evs[1].Batch.Envelopes[0].Content) != string(mustStream(t, bctx, c0, bob.ID, n, 2)[1].Batch.Envelopes[0].Content) {
		t.Fatalf("bob's events after the pruning point differ on the state-synced node")
	}
}
