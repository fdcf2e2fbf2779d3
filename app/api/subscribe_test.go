package api_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"

	"github.com/cometsync/cometsync/app/api"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/proto/sequencersvc"
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
	e.sendContent(t, ctx, first, n, func(i int) []byte { return fmt.Appendf(nil, "payload %d", i) })
}

// sendContent is sendTo with the payload of message i given by content.
func (e *env) sendContent(t *testing.T, ctx context.Context, first, n int, content func(i int) []byte) {
	t.Helper()
	alice, bob := e.fx.Member("PAR::alice"), e.fx.Member("PAR::bob")
	for i := first; i < first+n; i++ {
		tx := alice.Sign(alice.Request(fmt.Sprintf("m%d", i), time.Now().Add(time.Minute), content(i), bob.ID))
		if _, err := e.seq.Send(ctx, &pb.SendRequest{Submission: tx}); err != nil {
			t.Fatalf("send m%d: %v", i, err)
		}
		e.commit(t)
	}
}

func recvN(t *testing.T, st sequencersvc.SequencerService_SubscribeClient, n int) []*pb.SequencedEvent {
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

// recvResponses receives responses until they carry n events (counting the event field
// and the events field) and returns the responses.
func recvResponses(t *testing.T, st sequencersvc.SequencerService_SubscribeClient, n int) []*pb.SubscribeResponse {
	t.Helper()
	var out []*pb.SubscribeResponse
	for got := 0; got < n; {
		r, err := st.Recv()
		if err != nil {
			t.Fatalf("recv after %d events: %v", got, err)
		}
		if r.Event != nil {
			got++
		}
		got += len(r.Events)
		out = append(out, r)
	}
	return out
}

// subscribeBob opens bob's stream from counter 0 asking for perResponse events per response.
func (e *env) subscribeBob(t *testing.T, perResponse uint32) sequencersvc.SequencerService_SubscribeClient {
	t.Helper()
	st, err := e.seq.Subscribe(e.login(t, "PAR::bob"), &pb.SubscribeRequest{Member: e.fx.Member("PAR::bob").ID, MaxEventsPerResponse: perResponse})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestSubscribeSeveralEventsPerResponse(t *testing.T) {
	const subscribeBatch = 4
	for _, tc := range []struct {
		name        string
		requested   uint32
		perResponse int // what the server honours
	}{
		{"fewer than the read batch", 3, 3},
		{"capped at the read batch", 100, subscribeBatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *api.Config) { c.SubscribeBatch = subscribeBatch })
			aliceCtx := e.login(t, "PAR::alice")
			e.sendTo(t, aliceCtx, 0, 7)
			single, batched := e.subscribeBob(t, 0), e.subscribeBob(t, tc.requested)
			want := recvN(t, single, 7)
			resps := recvResponses(t, batched, 7)
			// The stream follows new commits in the same way.
			e.sendTo(t, aliceCtx, 7, 3)
			want = append(want, recvN(t, single, 3)...)
			resps = append(resps, recvResponses(t, batched, 3)...)

			var got []*pb.SequencedEvent
			packed := false
			for i, r := range resps {
				if r.Event != nil || len(r.Events) == 0 || len(r.Events) > tc.perResponse {
					t.Fatalf("response %d: event set %v, %d events, want 1..%d in events", i, r.Event != nil, len(r.Events), tc.perResponse)
				}
				packed = packed || len(r.Events) > 1
				got = append(got, r.Events...)
			}
			if !packed {
				t.Fatalf("no response carried more than one event (%d responses)", len(resps))
			}
			assertSameEvents(t, got, want)
		})
	}
}

func TestSubscribeResponsesStayUnderSizeLimit(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.SubscribeBatch = 8 })
	const payloadSize = 400_000 // two events fit in 1 MiB, three do not
	e.sendContent(t, e.login(t, "PAR::alice"), 0, 5, func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, payloadSize) })
	resps := recvResponses(t, e.subscribeBob(t, 8), 5)
	var sizes []int
	for _, r := range resps {
		sizes = append(sizes, len(r.Events))
		if r.Size() > 1<<20+1024 {
			t.Fatalf("response of %d events is %d bytes", len(r.Events), r.Size())
		}
	}
	if fmt.Sprint(sizes) != "[2 2 1]" {
		t.Fatalf("events per response = %v, want [2 2 1]", sizes)
	}
}

// assertSameEvents fails unless got and want encode to the same bytes, in the same order.
func assertSameEvents(t *testing.T, got, want []*pb.SequencedEvent) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		g, err := got[i].Marshal()
		if err != nil {
			t.Fatal(err)
		}
		w, err := want[i].Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(g, w) {
			t.Fatalf("event %d differs:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
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

// TestSubscriberLimit: the global cap refuses a third member once two hold its two
// slots, each within its own cap of one.
func TestSubscriberLimit(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxSubscribers, c.MaxSubscribersPerMember = 2, 1 })
	bobCtx, aliceCtx := e.login(t, "PAR::bob"), e.login(t, "PAR::alice")
	e.sendTo(t, aliceCtx, 0, 1)
	e.sendToAlice(t, bobCtx, "to-alice")
	recvN(t, e.subscribe(t, bobCtx, "PAR::bob"), 1)
	recvN(t, e.subscribe(t, aliceCtx, "PAR::alice"), 1)
	med := e.fx.Member("MED::mediator")
	st, err := e.seq.Subscribe(e.login(t, "MED::mediator"), &pb.SubscribeRequest{Member: med.ID})
	if err == nil {
		_, err = st.Recv()
	}
	wantCode(t, err, codes.ResourceExhausted, "max_subscribers is 2")
}

// TestSubscriberLimitPerMember: bob holding his maximum of streams is refused one more,
// naming his cap, while alice still subscribes; once the server closes the
// subscriptions bob's count is free again.
func TestSubscriberLimitPerMember(t *testing.T) {
	e := newEnv(t, nil)
	perMember := api.TestConfig().MaxSubscribersPerMember
	bobCtx, aliceCtx := e.login(t, "PAR::bob"), e.login(t, "PAR::alice")
	e.sendTo(t, aliceCtx, 0, 1)
	for range perMember {
		recvN(t, e.subscribe(t, bobCtx, "PAR::bob"), 1) // open on the server
	}
	st, err := e.seq.Subscribe(bobCtx, &pb.SubscribeRequest{Member: e.fx.Member("PAR::bob").ID})
	if err == nil {
		_, err = st.Recv()
	}
	wantCode(t, err, codes.ResourceExhausted, fmt.Sprintf("member %s has %d subscriptions open, max_subscribers_per_member is %d", e.fx.Member("PAR::bob").ID, perMember, perMember))

	e.sendToAlice(t, bobCtx, "to-alice")
	recvN(t, e.subscribe(t, aliceCtx, "PAR::alice"), 1)
	if n := e.served.API.Subscribers(); n != perMember+1 {
		t.Fatalf("%d subscribers, want %d", n, perMember+1)
	}

	e.served.API.CloseSubscriptions(fmt.Errorf("test break"))
	for range perMember {
		recvN(t, e.subscribe(t, bobCtx, "PAR::bob"), 1)
	}
}

// subscribe opens spec's stream from counter 0 as ctx.
func (e *env) subscribe(t *testing.T, ctx context.Context, spec string) sequencersvc.SequencerService_SubscribeClient {
	t.Helper()
	st, err := e.seq.Subscribe(ctx, &pb.SubscribeRequest{Member: e.fx.Member(spec).ID})
	if err != nil {
		t.Fatalf("subscribe %s: %v", spec, err)
	}
	return st
}

// sendToAlice sends one message from bob to alice and commits it.
func (e *env) sendToAlice(t *testing.T, bobCtx context.Context, msgID string) {
	t.Helper()
	alice, bob := e.fx.Member("PAR::alice"), e.fx.Member("PAR::bob")
	tx := bob.Sign(bob.Request(msgID, time.Now().Add(time.Minute), []byte("hello alice"), alice.ID))
	if _, err := e.seq.Send(bobCtx, &pb.SendRequest{Submission: tx}); err != nil {
		t.Fatalf("send %s: %v", msgID, err)
	}
	e.commit(t)
}
