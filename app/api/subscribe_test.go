package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"

	"github.com/cometsync/cometsync/app/api"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

func TestSubscribeToAnotherMembersStream(t *testing.T) {
	e := newEnv(t, nil)
	bob := e.fx.Member("PAR::bob")
	ctx := e.login(t, "PAR::alice")
	st, err := e.seq.Subscribe(ctx, &pb.SubscribeRequest{Member: bob.ID})
	if err == nil {
		_, err = st.Recv()
	}
	wantCode(t, err, codes.PermissionDenied, "may not subscribe to "+bob.ID+"'s stream")
}

// sendTo has alice send n messages to bob, one block each; ids are m<first>..m<first+n-1>.
func (e *env) sendTo(t *testing.T, ctx context.Context, first, n int) {
	t.Helper()
	alice, bob := e.fx.Member("PAR::alice"), e.fx.Member("PAR::bob")
	for i := first; i < first+n; i++ {
		tx := alice.Sign(alice.Request(fmt.Sprintf("m%d", i), time.Now().Add(time.Minute), fmt.Appendf(nil, "payload %d", i), bob.ID))
		if _, err := e.seq.Send(ctx, &pb.SendRequest{Submission: tx}); err != nil {
			t.Fatalf("send m%d: %v", i, err)
		}
		e.commit(t)
	}
}

func recvN(t *testing.T, st pb.SequencerService_SubscribeClient, n int) []*pb.SequencedEvent {
	t.Helper()
	var out []*pb.SequencedEvent
	for len(out) < n {
		r, err := st.Recv()
		if err != nil {
			t.Fatalf("recv after %d events: %v", len(out), err)
		}
		out = append(out, r.Event)
	}
	return out
}

func TestSubscribeResumesAndFollows(t *testing.T) {
	reg := prometheus.NewRegistry()
	metrics, err := api.NewPrometheusMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *api.Config) { c.Metrics = metrics }) // SubscribeBatch is 2
	bob := e.fx.Member("PAR::bob")
	aliceCtx := e.login(t, "PAR::alice")
	bobCtx := e.login(t, "PAR::bob")
	e.sendTo(t, aliceCtx, 0, 5)

	st, err := e.seq.Subscribe(bobCtx, &pb.SubscribeRequest{Member: bob.ID, FromCounter: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := recvN(t, st, 4)
	for i, ev := range got {
		want := int64(i + 1)
		if ev.Counter != want || ev.Kind != pb.EventKind_EVENT_KIND_DELIVER || string(ev.Batch.Envelopes[0].Content) != fmt.Sprintf("payload %d", want) {
			t.Fatalf("event %d: %+v", i, ev)
		}
		if ev.MessageId != "" {
			t.Fatalf("a recipient sees the sender's message id: %+v", ev)
		}
		if i > 0 && ev.TimestampMicros <= got[i-1].TimestampMicros {
			t.Fatalf("timestamps do not increase: %d then %d", got[i-1].TimestampMicros, ev.TimestampMicros)
		}
	}
	// The stream follows new commits.
	e.sendTo(t, aliceCtx, 5, 3)
	more := recvN(t, st, 3)
	if more[0].Counter != 5 || more[2].Counter != 7 || string(more[2].Batch.Envelopes[0].Content) != "payload 7" {
		t.Fatalf("followed events: %+v", more)
	}
	if got := metricValue(metrics.Subscribers); got != 1 {
		t.Fatalf("subscribers gauge = %v", got)
	}
	if got := metricValue(metrics.Delivered); got != 7 {
		t.Fatalf("delivered = %v", got)
	}
}

func TestSubscribeReceipts(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.fx.Member("PAR::alice")
	aliceCtx := e.login(t, "PAR::alice")
	e.sendTo(t, aliceCtx, 0, 2)
	st, err := e.seq.Subscribe(aliceCtx, &pb.SubscribeRequest{Member: alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range recvN(t, st, 2) {
		if ev.MessageId != fmt.Sprintf("m%d", i) || len(ev.Batch.GetEnvelopes()) != 0 {
			t.Fatalf("receipt %d: %+v", i, ev)
		}
	}
}

func TestCloseSubscriptionsEndsStreams(t *testing.T) {
	e := newEnv(t, nil)
	bob := e.fx.Member("PAR::bob")
	bobCtx := e.login(t, "PAR::bob")
	e.sendTo(t, e.login(t, "PAR::alice"), 0, 1)
	st, err := e.seq.Subscribe(bobCtx, &pb.SubscribeRequest{Member: bob.ID})
	if err != nil {
		t.Fatal(err)
	}
	recvN(t, st, 1) // the subscription is open on the server now
	e.served.API.CloseSubscriptions(fmt.Errorf("test break"))
	_, err = st.Recv()
	wantCode(t, err, codes.Unavailable, "test break")
	if n := e.served.API.Subscribers(); n != 0 {
		t.Fatalf("%d subscribers after close", n)
	}
}

func TestSubscriberLimit(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxSubscribers = 1 })
	bob := e.fx.Member("PAR::bob")
	bobCtx := e.login(t, "PAR::bob")
	e.sendTo(t, e.login(t, "PAR::alice"), 0, 1)
	st, err := e.seq.Subscribe(bobCtx, &pb.SubscribeRequest{Member: bob.ID})
	if err != nil {
		t.Fatal(err)
	}
	recvN(t, st, 1)
	st2, err := e.seq.Subscribe(bobCtx, &pb.SubscribeRequest{Member: bob.ID})
	if err == nil {
		_, err = st2.Recv()
	}
	wantCode(t, err, codes.ResourceExhausted, "max_subscribers")
}
