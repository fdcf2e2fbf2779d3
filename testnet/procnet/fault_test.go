package procnet

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cometsync/cometsync/driver"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cometsync-procnet-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "cometsync")
	build := exec.Command("go", "build", "-o", binary, "github.com/cometsync/cometsync/cmd/cometsync")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build cometsync:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// receiver collects what a driver subscription delivers.
type receiver struct {
	mu   sync.Mutex
	got  []string
	seen chan struct{}
}

func (r *receiver) handle(_ context.Context, ev *pb.SequencedEvent) error {
	r.mu.Lock()
	for _, env := range ev.GetBatch().GetEnvelopes() {
		r.got = append(r.got, string(env.Content))
	}
	r.mu.Unlock()
	select {
	case r.seen <- struct{}{}:
	default:
	}
	return nil
}

func (r *receiver) await(t *testing.T, ctx context.Context, n int) []string {
	t.Helper()
	for {
		r.mu.Lock()
		got := slices.Clone(r.got)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-r.seen:
		case <-ctx.Done():
			t.Fatalf("received %d of %d messages: %v", len(got), n, ctx.Err())
		}
	}
}

func memberClient(t *testing.T, m *Manifest, i int) *driver.Client {
	t.Helper()
	ks, err := m.Keys(i)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ks.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	cfg := driver.DefaultConfig()
	for _, n := range m.Nodes {
		cfg.Endpoints = append(cfg.Endpoints, n.API)
	}
	cfg.Member, cfg.SigningKey, cfg.SynchronizerID = m.Members[i].ID, key, m.SynchronizerID
	cfg.ResubmitInterval, cfg.MaxReconnectBackoff = time.Second, time.Second
	c, err := driver.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestFaultTolerance runs four validators as separate processes: with one killed (kill
// -9) sequencing goes on; with two killed the chain halts without forking; after both
// restart they catch up, every node has the same app hashes, and the receiver got every
// message exactly once, in order.
func TestFaultTolerance(t *testing.T) {
	if testing.Short() {
		t.Skip("real processes")
	}
	dir := t.TempDir()
	m, err := Init(dir, Options{Validators: 4, Participants: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.Nodes {
		if err := StartNode(m, i, binary); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for i := range m.Nodes {
			_ = StopNode(m, i, 5*time.Second)
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	for i := range m.Nodes {
		if err := WaitHeight(ctx, m, i, 2); err != nil {
			t.Fatal(err)
		}
	}
	sender, recv := memberClient(t, m, 0), memberClient(t, m, 1)
	r := &receiver{seen: make(chan struct{}, 1)}
	sctx, stopSub := context.WithCancel(ctx)
	defer stopSub()
	go func() { _ = recv.Subscribe(sctx, 0, r.handle) }()
	go func() { _ = sender.Subscribe(sctx, 0, func(context.Context, *pb.SequencedEvent) error { return nil }) }()
	to := &pb.Recipient{Member: m.Members[1].ID}
	sent := 0
	send := func(n int) {
		for i := 0; i < n; i++ {
			b := &pb.Batch{Envelopes: []*pb.Envelope{{Recipients: []*pb.Recipient{to}, Content: []byte(fmt.Sprintf("m%03d", sent))}}}
			if _, err := sender.SendAndWait(ctx, b, driver.SendOptions{}); err != nil {
				t.Fatalf("send m%03d: %v", sent, err)
			}
			sent++
		}
	}
	send(5)
	if err := Signal(m, 3, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	send(5) // three of four validators: still live
	r.await(t, ctx, sent)

	if err := Signal(m, 2, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	halted := Status(ctx, m)[0].Height
	// Two of four: no quorum. Waiting a bounded time for a non-event is the only way to
	// see that nothing happens.
	time.Sleep(3 * time.Second)
	for _, i := range []int{0, 1} {
		if h := Status(ctx, m)[i].Height; h > halted+1 {
			t.Fatalf("node %d advanced to %d without a quorum (halted at %d)", i, h, halted)
		}
	}

	for _, i := range []int{2, 3} {
		if err := StartNode(m, i, binary); err != nil {
			t.Fatal(err)
		}
	}
	send(5)
	got := r.await(t, ctx, sent)
	var want []string
	for i := 0; i < sent; i++ {
		want = append(want, fmt.Sprintf("m%03d", i))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("receiver got %v, want each of %d messages exactly once in order", got, sent)
	}
	top := Status(ctx, m)[0].Height
	for i := range m.Nodes {
		if err := WaitHeight(ctx, m, i, top); err != nil {
			t.Fatal(err)
		}
	}
	for h := int64(1); h < top; h++ {
		want, err := AppHashAt(ctx, m, 0, h)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(m.Nodes); i++ {
			got, err := AppHashAt(ctx, m, i, h)
			if err != nil || got != want {
				t.Fatalf("app hash at %d: node %d %s (%v), node 0 %s", h, i, got, err, want)
			}
		}
	}
}
