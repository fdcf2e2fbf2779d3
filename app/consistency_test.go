package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cometsync/cometsync/internal/chaintest"
	"github.com/cometsync/cometsync/internal/testseed"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/testnet"
)

// TestConcurrentSendersOrderAndDeliveryConsistency has four members send concurrently
// to overlapping recipient sets through a real node, then checks that every member got
// exactly the envelopes addressed to it, that any two members saw their common messages
// in the same order with the same timestamps, and that every sender got one receipt per
// message.
func TestConcurrentSendersOrderAndDeliveryConsistency(t *testing.T) {
	names := []string{"m0", "m1", "m2", "m3"}
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: participants(names...)})
	c := dialRaw(t, net.APIAddress(0))
	rng := rand.New(rand.NewPCG(testseed.Seed(t), 0))

	const perSender = 15
	want := map[string][]string{} // member -> contents it must receive (any order)
	plans := map[string][][]string{}
	for _, s := range names {
		for i := 0; i < perSender; i++ {
			var rcpts []string
			for _, r := range names {
				if rng.IntN(2) == 0 {
					rcpts = append(rcpts, net.Member(r).ID)
				}
			}
			if len(rcpts) == 0 {
				rcpts = []string{net.Member(names[rng.IntN(len(names))]).ID}
			}
			plans[s] = append(plans[s], rcpts)
			for _, r := range rcpts {
				want[r] = append(want[r], fmt.Sprintf("%s/%d", s, i))
			}
		}
	}
	ctxs := map[string]context.Context{}
	for _, s := range names {
		ctxs[s] = c.login(t, net.Member(s))
	}
	var wg sync.WaitGroup
	for _, s := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := net.Member(s)
			for i, rcpts := range plans[s] {
				id := fmt.Sprintf("%s/%d", s, i)
				tx := submission(m.ID, m.Key, id, time.Now().Add(time.Minute), []byte(id), to(rcpts...)...)
				if _, err := c.seq.Send(ctxs[s], &pb.SendRequest{Submission: tx}); err != nil {
					t.Errorf("send %s: %v", id, err)
					return
				}
			}
		}()
	}
	wg.Wait()

	got := map[string][]*pb.SequencedEvent{}
	for _, s := range names {
		m := net.Member(s)
		// A member's stream has one event per message addressed to it plus one receipt per
		// own message that was not addressed to itself.
		n := len(want[m.ID])
		for _, rcpts := range plans[s] {
			if !slices.Contains(rcpts, m.ID) {
				n++
			}
		}
		got[m.ID] = c.readEvents(t, ctxs[s], m.ID, 0, n)
		checkStream(t, s, m.ID, got[m.ID], want[m.ID], perSender)
	}
	for i, a := range names {
		for _, b := range names[i+1:] {
			checkCommonOrder(t, got[net.Member(a).ID], got[net.Member(b).ID])
		}
	}
}

func checkStream(t *testing.T, name, id string, evs []*pb.SequencedEvent, want []string, perSender int) {
	t.Helper()
	var lastTS int64
	receipts := 0
	for i, ev := range evs {
		if ev.Counter != int64(i) || ev.TimestampMicros <= lastTS || ev.Kind != pb.EventKind_EVENT_KIND_DELIVER {
			t.Fatalf("%s: bad event %d: %s", name, i, describe(ev))
		}
		lastTS = ev.TimestampMicros
		if ev.MessageId != "" {
			receipts++
		}
	}
	if receipts != perSender {
		t.Errorf("%s: %d receipts, want %d", name, receipts, perSender)
	}
	gotContents := contents(evs)
	slices.Sort(gotContents)
	w := slices.Clone(want)
	slices.Sort(w)
	if !slices.Equal(gotContents, w) {
		t.Errorf("%s received %v\nwant %v", name, gotContents, w)
	}
}

// checkCommonOrder: messages both streams contain appear in the same relative order and
// with the same timestamp.
func checkCommonOrder(t *testing.T, a, b []*pb.SequencedEvent) {
	t.Helper()
	ts := map[string]int64{}
	for _, ev := range a {
		for _, env := range ev.Batch.Envelopes {
			ts[string(env.Content)] = ev.TimestampMicros
		}
	}
	var last int64
	for _, ev := range b {
		for _, env := range ev.Batch.Envelopes {
			at, common := ts[string(env.Content)]
			if !common {
				continue
			}
			if at != ev.TimestampMicros || at <= last {
				t.Fatalf("common message %s: timestamps %d vs %d (previous %d)", env.Content, at, ev.TimestampMicros, last)
			}
			last = at
		}
	}
}
