package driver_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cometsync/cometsync/app/api"
	"github.com/cometsync/cometsync/app/api/apitest"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// packedServer is a server whose reads are large enough for the driver's request of
// several events per response to show: a catching-up subscriber gets up to 8 at once.
func packedServer(t *testing.T, b *apitest.Backend) *apitest.Served {
	t.Helper()
	return serve(t, b, func(c *api.Config) { c.SubscribeBatch = 8 })
}

// sendMany has alice send n messages to bob straight through the backend.
func sendMany(t *testing.T, b *apitest.Backend, fx *apitest.Fixture, n int) {
	t.Helper()
	for i := range n {
		sendDirect(t, b, fx, fmt.Sprintf("packed %d", i))
	}
}

// countersFrom returns from, from+1, ..., to-1.
func countersFrom(from, to int64) []int64 {
	var out []int64
	for c := from; c < to; c++ {
		out = append(out, c)
	}
	return out
}

func TestSubscribeCatchesUpFromPackedResponses(t *testing.T) {
	fx := fixture(t)
	b := backend(t, fx, apitest.Config{AutoCommit: true})
	srv := packedServer(t, b)
	sendMany(t, b, fx, 20)
	for _, from := range []int64{0, 5} {
		s := subscribe(t, client(t, fx, bob, nil, srv.Addr), from)
		var got []*pb.SequencedEvent
		for range 20 - from {
			got = append(got, s.next(t))
		}
		counters(t, got, countersFrom(from, 20)...)
		for i, ev := range got {
			if want := fmt.Sprintf("packed %d", from+int64(i)); string(ev.Batch.Envelopes[0].Content) != want {
				t.Fatalf("event %d carries %q, want %q", ev.Counter, ev.Batch.Envelopes[0].Content, want)
			}
		}
	}
}

func TestSubscribeAgreedFromPackedResponses(t *testing.T) {
	fx := fixture(t)
	b := backend(t, fx, apitest.Config{AutoCommit: true})
	srv1, srv2 := packedServer(t, b), packedServer(t, b) // two nodes of one chain
	sendMany(t, b, fx, 20)
	bc := client(t, fx, bob, nil, srv1.Addr, srv2.Addr)
	ctx, cancel := context.WithCancel(ctxT(t))
	events := make(chan *pb.SequencedEvent, 100)
	done := make(chan error, 1)
	go func() {
		done <- bc.SubscribeAgreed(ctx, 0, 2, func(_ context.Context, ev *pb.SequencedEvent) error {
			events <- ev
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	s := &sub{events: events, done: done, cancel: cancel}
	var got []*pb.SequencedEvent
	for range 20 {
		got = append(got, s.next(t))
	}
	counters(t, got, countersFrom(0, 20)...)
}
