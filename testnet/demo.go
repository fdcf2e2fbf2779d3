package testnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// demoPlan is what each demo member multicasts: message text -> recipient names.
var demoPlan = []struct {
	from, text string
	to         []string
}{
	{"alice", "alice to everyone: hello", []string{"alice", "bob", "carol"}},
	{"bob", "bob to alice+carol: offer 10 IOU", []string{"alice", "carol"}},
	{"carol", "carol to bob only: private note", []string{"bob"}},
	{"alice", "alice to bob only: private note", []string{"bob"}},
	{"bob", "bob to everyone: status ok", []string{"alice", "bob", "carol"}},
	{"carol", "carol to alice+carol: ack", []string{"alice", "carol"}},
	{"alice", "alice to carol+bob: settle", []string{"carol", "bob"}},
	{"carol", "carol to everyone: done", []string{"alice", "bob", "carol"}},
}

// demoMember is one demo participant: its driver and what it received.
type demoMember struct {
	name   string
	id     string
	client *driver.Client
	mu     sync.Mutex
	got    []*pb.SequencedEvent
	seen   chan struct{}
}

// RunDemo runs the first-cut demo: a one-validator chain in a temporary directory, three
// members multicasting concurrently to overlapping recipient sets through the gRPC API;
// it prints what each member receives and checks order and delivery consistency.
func RunDemo(ctx context.Context, out io.Writer) error {
	dir, err := os.MkdirTemp("", "cometsync-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	names := []string{"alice", "bob", "carol"}
	specs := make([]MemberSpec, len(names))
	for i, n := range names {
		specs[i] = MemberSpec{Kind: crypto.KindParticipant, Name: n}
	}
	net, err := New(Options{Dir: dir, Validators: 1, Members: specs})
	if err != nil {
		return err
	}
	defer net.Close()
	if err := net.StartAll(); err != nil {
		return err
	}
	fmt.Fprintf(out, "cometsync demo\n  chain home      %s\n  synchronizer    %s\n  sequencer API   %s\n\n", dir, net.SynchronizerID, net.APIAddress(0))
	members, err := connectDemoMembers(ctx, net, names, out)
	if err != nil {
		return err
	}
	defer func() {
		for _, m := range members {
			m.client.Close()
		}
	}()
	if err := sendDemoPlan(ctx, members, out); err != nil {
		return err
	}
	if err := awaitDemoDeliveries(ctx, members); err != nil {
		return err
	}
	printDemoStreams(out, members)
	if err := checkDemoConsistency(out, members); err != nil {
		return err
	}
	fmt.Fprintf(out, "\ndemo finished in %s (chain height %d)\n", time.Since(start).Round(time.Millisecond), net.Node(0).App().Meta().Height)
	return nil
}

func connectDemoMembers(ctx context.Context, net *Network, names []string, out io.Writer) (map[string]*demoMember, error) {
	members := map[string]*demoMember{}
	for _, n := range names {
		m := net.Member(n)
		cfg := driver.DefaultConfig()
		cfg.Endpoints = []string{net.APIAddress(0)}
		cfg.SynchronizerID = net.SynchronizerID
		cfg.Member, cfg.SigningKey = m.ID, m.Key
		var err error
		if cfg.Verify, err = net.VerifyConfig(); err != nil {
			return nil, err
		}
		c, err := driver.New(cfg, nil)
		if err != nil {
			return nil, err
		}
		if err := c.Connect(ctx); err != nil {
			return nil, fmt.Errorf("connect %s: %w", n, err)
		}
		dm := &demoMember{name: n, id: m.ID, client: c, seen: make(chan struct{}, 1)}
		go func() {
			err := c.Subscribe(ctx, 0, dm.handle)
			if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, driver.ErrClosed) {
				fmt.Fprintf(out, "subscription of %s ended: %v\n", n, err)
			}
		}()
		members[n] = dm
		fmt.Fprintf(out, "  %-6s connected and subscribed as %s\n", n, short(m.ID))
	}
	return members, nil
}

func (m *demoMember) handle(_ context.Context, ev *pb.SequencedEvent) error {
	m.mu.Lock()
	m.got = append(m.got, ev)
	m.mu.Unlock()
	select {
	case m.seen <- struct{}{}:
	default:
	}
	return nil
}

func sendDemoPlan(ctx context.Context, members map[string]*demoMember, out io.Writer) error {
	fmt.Fprintf(out, "\nsending %d multicasts concurrently...\n", len(demoPlan))
	var wg sync.WaitGroup
	errs := make(chan error, len(demoPlan))
	for _, p := range demoPlan {
		var rcpts []*pb.Recipient
		for _, r := range p.to {
			rcpts = append(rcpts, &pb.Recipient{Member: members[r].id})
		}
		batch := &pb.Batch{Envelopes: []*pb.Envelope{{Recipients: rcpts, Content: []byte(p.text)}}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if _, err := members[p.from].client.SendAndWait(sctx, batch, driver.SendOptions{}); err != nil {
				errs <- fmt.Errorf("%s: %w", p.text, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	return errors.Join(slices.Collect(func(yield func(error) bool) {
		for e := range errs {
			if !yield(e) {
				return
			}
		}
	})...)
}

// expected returns the messages member name must receive, in plan order.
func expected(name string) []string {
	var out []string
	for _, p := range demoPlan {
		if slices.Contains(p.to, name) {
			out = append(out, p.text)
		}
	}
	return out
}

func (m *demoMember) contents() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, ev := range m.got {
		for _, env := range ev.GetBatch().GetEnvelopes() {
			out = append(out, string(env.Content))
		}
	}
	return out
}

func awaitDemoDeliveries(ctx context.Context, members map[string]*demoMember) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, m := range members {
		for len(m.contents()) < len(expected(m.name)) {
			select {
			case <-m.seen:
			case <-ctx.Done():
				return fmt.Errorf("%s received %d of %d messages: %w", m.name, len(m.contents()), len(expected(m.name)), ctx.Err())
			}
		}
	}
	return nil
}

func printDemoStreams(out io.Writer, members map[string]*demoMember) {
	for _, n := range sortedNames(members) {
		m := members[n]
		fmt.Fprintf(out, "\n%s's stream:\n", n)
		m.mu.Lock()
		for _, ev := range m.got {
			what := "receipt for " + ev.MessageId[:min(8, len(ev.MessageId))]
			var texts []string
			for _, env := range ev.GetBatch().GetEnvelopes() {
				texts = append(texts, string(env.Content))
			}
			if len(texts) > 0 {
				what = strings.Join(texts, "; ")
				if ev.MessageId != "" {
					what += "  (own message, receipt)"
				}
			}
			fmt.Fprintf(out, "  #%-2d %s  %s\n", ev.Counter, time.UnixMicro(ev.TimestampMicros).UTC().Format("15:04:05.000000"), what)
		}
		m.mu.Unlock()
	}
}

// checkDemoConsistency verifies delivery (each member got exactly its messages) and
// order consistency (every pair saw common messages in the same order).
func checkDemoConsistency(out io.Writer, members map[string]*demoMember) error {
	fmt.Fprintln(out)
	names := sortedNames(members)
	for _, n := range names {
		got, want := slices.Sorted(slices.Values(members[n].contents())), slices.Sorted(slices.Values(expected(n)))
		if !slices.Equal(got, want) {
			return fmt.Errorf("delivery: %s received %q, want %q", n, got, want)
		}
		fmt.Fprintf(out, "ok  %s received exactly the %d messages addressed to it\n", n, len(want))
	}
	for i, a := range names {
		for _, b := range names[i+1:] {
			ca, cb := common(members[a].contents(), members[b].contents()), common(members[b].contents(), members[a].contents())
			if !slices.Equal(ca, cb) {
				return fmt.Errorf("order: %s saw %q, %s saw %q", a, ca, b, cb)
			}
			fmt.Fprintf(out, "ok  %s and %s saw their %d common messages in the same order\n", a, b, len(ca))
		}
	}
	return nil
}

// common returns the elements of a that are also in b, in a's order.
func common(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func sortedNames(m map[string]*demoMember) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

func short(id string) string {
	if len(id) > 24 {
		return id[:24] + "…"
	}
	return id
}
