package app_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/chaintest"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/testnet"
)

// sendN sends n messages from sender to recipients through c, named prefix-0..n-1.
func sendN(t *testing.T, c *rawClient, ctx context.Context, sender testnet.Member, prefix string, n int, recipients ...string) {
	t.Helper()
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%s-%d", prefix, i)
		tx := submission(sender.ID, sender.Key, id, time.Now().Add(time.Minute), []byte(id), to(recipients...)...)
		if _, err := c.seq.Send(ctx, &pb.SendRequest{Submission: tx}); err != nil {
			t.Fatalf("send %s: %v", id, err)
		}
	}
}

func contents(evs []*pb.SequencedEvent) []string {
	var out []string
	for _, ev := range evs {
		for _, env := range ev.Batch.GetEnvelopes() {
			out = append(out, string(env.Content))
		}
	}
	return out
}

func sameEvents(t *testing.T, what string, a, b []*pb.SequencedEvent) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d vs %d events", what, len(a), len(b))
	}
	for i := range a {
		ab, _ := a[i].Marshal()
		bb, _ := b[i].Marshal()
		if !bytes.Equal(ab, bb) {
			t.Fatalf("%s: event %d differs: %s vs %s", what, i, describe(a[i]), describe(b[i]))
		}
	}
}

// TestFourValidatorsToleratesOneStoppedAndCatchesUp stops one of four validators,
// keeps sequencing with the other three, restarts it and checks that it catches up with
// the same app hashes and serves the same streams.
func TestFourValidatorsToleratesOneStoppedAndCatchesUp(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-validator network")
	}
	net := chaintest.Start(t, testnet.Options{Validators: 4, Members: participants("alice", "bob")})
	alice, bob := net.Member("alice"), net.Member("bob")
	c0 := dialRaw(t, net.APIAddress(0))
	actx, bctx := c0.login(t, alice), c0.login(t, bob)
	agreed := agreedSubscriber(t, net, bob, 2) // f = 1 of 4

	sendN(t, c0, actx, alice, "before", 5, bob.ID)
	c0.readEvents(t, bctx, bob.ID, 0, 5)

	net.Stop(3)
	onboard(t, c0) // a topology change while node 3 is down
	sendN(t, c0, actx, alice, "during", 5, bob.ID)
	during := c0.readEvents(t, bctx, bob.ID, 0, 11)
	if got := contents(during)[len(contents(during))-1]; got != "during-4" {
		t.Fatalf("with a validator down, last delivered is %q", got)
	}

	if err := net.Start(3); err != nil {
		t.Fatal(err)
	}
	h := net.Node(0).App().Meta().Height
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for i := 0; i < 4; i++ {
		if err := net.WaitHeight(ctx, i, h+1); err != nil {
			t.Fatal(err)
		}
	}
	for height := int64(1); height <= h; height++ {
		want := net.AppHashAt(0, height)
		for i := 1; i < 4; i++ {
			if got := net.AppHashAt(i, height); !bytes.Equal(got, want) {
				t.Fatalf("app hash at height %d: node %d %X, node 0 %X", height, i, got, want)
			}
		}
	}
	for i := 1; i < 4; i++ {
		if !bytes.Equal(net.Node(i).Machine().TopologyHash(), net.Node(0).Machine().TopologyHash()) {
			t.Fatalf("node %d's topology state differs from node 0's", i)
		}
	}
	c3 := dialRaw(t, net.APIAddress(3))
	sameEvents(t, "bob's stream on node 3 vs node 0", c3.readEvents(t, c3.login(t, bob), bob.ID, 0, 11), during)
	sameEvents(t, "bob's stream agreed by 2 of 4 nodes", agreed.await(t, 11), during)
}

// agreedEvents collects what a SubscribeAgreed subscription delivers.
type agreedEvents struct {
	mu   sync.Mutex
	evs  []*pb.SequencedEvent
	seen chan struct{}
	errs chan error
}

// agreedSubscriber follows m's stream on every node of net, accepting events that
// threshold nodes agree on.
func agreedSubscriber(t *testing.T, net *testnet.Network, m testnet.Member, threshold int) *agreedEvents {
	t.Helper()
	cfg := driver.DefaultConfig()
	cfg.Endpoints, cfg.Member, cfg.SigningKey = net.APIAddresses(), m.ID, m.Key
	cfg.MaxReconnectBackoff = 500 * time.Millisecond
	c, err := driver.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	a := &agreedEvents{seen: make(chan struct{}, 1), errs: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		a.errs <- c.SubscribeAgreed(ctx, 0, threshold, func(_ context.Context, ev *pb.SequencedEvent) error {
			a.mu.Lock()
			a.evs = append(a.evs, ev)
			a.mu.Unlock()
			select {
			case a.seen <- struct{}{}:
			default:
			}
			return nil
		})
	}()
	return a
}

func (a *agreedEvents) await(t *testing.T, n int) []*pb.SequencedEvent {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		a.mu.Lock()
		got := append([]*pb.SequencedEvent(nil), a.evs...)
		a.mu.Unlock()
		if len(got) >= n {
			return got[:n]
		}
		select {
		case <-a.seen:
		case err := <-a.errs:
			t.Fatalf("agreed subscription ended after %d events: %v", len(got), err)
		case <-timeout:
			t.Fatalf("agreed subscription delivered %d of %d events", len(got), n)
		}
	}
}

// TestWipedAppStateIsRebuiltFromBlockStore deletes the application database of a
// stopped validator; on restart CometBFT replays the block store into the empty app,
// which must reach the same app hash and serve the same events.
func TestWipedAppStateIsRebuiltFromBlockStore(t *testing.T) {
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: participants("alice", "bob", "carol")})
	alice, bob, carol := net.Member("alice"), net.Member("bob"), net.Member("carol")
	c := dialRaw(t, net.APIAddress(0))
	actx := c.login(t, alice)
	sendN(t, c, actx, alice, "to-bob", 4, bob.ID)
	sendN(t, c, actx, alice, "to-both", 4, bob.ID, carol.ID)
	before := map[string][]*pb.SequencedEvent{
		bob.ID:   c.readEvents(t, c.login(t, bob), bob.ID, 0, 8),
		carol.ID: c.readEvents(t, c.login(t, carol), carol.ID, 0, 4),
		alice.ID: c.readEvents(t, actx, alice.ID, 0, 8),
	}
	meta := net.Node(0).App().Meta()

	net.Stop(0)
	if err := net.WipeAppDB(0); err != nil {
		t.Fatal(err)
	}
	if err := net.Start(0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := net.WaitHeight(ctx, 0, meta.Height+1); err != nil {
		t.Fatal(err)
	}
	if got := net.AppHashAt(0, meta.Height); !bytes.Equal(got, meta.AppHash) {
		t.Fatalf("app hash at %d after rebuild %X, before %X", meta.Height, got, meta.AppHash)
	}
	c = dialRaw(t, net.APIAddress(0))
	for _, m := range []testnet.Member{alice, bob, carol} {
		sameEvents(t, m.ID, c.readEvents(t, c.login(t, m), m.ID, 0, len(before[m.ID])), before[m.ID])
	}
}
