package driver_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cometsync/cometsync/app/api"
	"github.com/cometsync/cometsync/app/api/apitest"
	"github.com/cometsync/cometsync/driver"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

func TestSendAndReceipt(t *testing.T) {
	fx := fixture(t)
	b := backend(t, fx, apitest.Config{AutoCommit: true})
	srv := serve(t, b, nil)
	a := client(t, fx, alice, nil, srv.Addr)
	bc := client(t, fx, bob, nil, srv.Addr)
	if err := a.Connect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if a.SynchronizerID() != fx.Genesis.SynchronizerID {
		t.Fatalf("pinned %q", a.SynchronizerID())
	}
	aliceSub := subscribe(t, a, 0)
	bobSub := subscribe(t, bc, 0)

	receipt, err := a.SendAndWait(ctxT(t), batchTo("hello", fx.Member(bob).ID), driver.SendOptions{MessageID: "m1"})
	if err != nil {
		t.Fatal(err)
	}
	if receipt.Kind != pb.EventKind_EVENT_KIND_DELIVER || receipt.MessageId != "m1" || receipt.Counter != 0 {
		t.Fatalf("receipt %+v", receipt)
	}
	if ev := aliceSub.next(t); ev.MessageId != "m1" {
		t.Fatalf("alice's handler got %+v", ev)
	}
	ev := bobSub.next(t)
	if string(ev.Batch.Envelopes[0].Content) != "hello" || ev.TimestampMicros != receipt.TimestampMicros {
		t.Fatalf("bob got %+v", ev)
	}
	if a.SequencerTimeMicros() != receipt.TimestampMicros {
		t.Fatalf("sequencer time %d, want %d", a.SequencerTimeMicros(), receipt.TimestampMicros)
	}
	if err := a.Acknowledge(ctxT(t), receipt.TimestampMicros); err != nil {
		t.Fatal(err)
	}
	if ts, _ := srv.API.Acknowledged(fx.Member(alice).ID); ts != receipt.TimestampMicros {
		t.Fatalf("acknowledged %d", ts)
	}
}

func TestResubmitsDroppedSubmission(t *testing.T) {
	fx := fixture(t)
	b := backend(t, fx, apitest.Config{AutoCommit: true})
	srv := serve(t, b, nil)
	a := client(t, fx, alice, nil, srv.Addr)
	subscribe(t, a, 0)
	b.DropNextSubmissions(2)
	receipt, err := a.SendAndWait(ctxT(t), batchTo("x", fx.Member(bob).ID), driver.SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if receipt.Kind != pb.EventKind_EVENT_KIND_DELIVER || receipt.Counter != 0 {
		t.Fatalf("receipt %+v", receipt)
	}
	if b.Dropped() != 2 {
		t.Fatalf("backend dropped %d submissions, want 2", b.Dropped())
	}
}

func TestDuplicateResubmissionIgnored(t *testing.T) {
	// Without auto-commit the first submission and its resubmissions wait in the mempool;
	// two blocks each holding a copy make the second copy a DELIVER_ERROR duplicate,
	// which must not disturb the resolved handle or the stream.
	fx := fixture(t)
	b := backend(t, fx, apitest.Config{})
	srv := serve(t, b, nil)
	a := client(t, fx, alice, nil, srv.Addr)
	s := subscribe(t, a, 0)
	h, err := a.Send(ctxT(t), batchTo("x", fx.Member(bob).ID), driver.SendOptions{MessageID: "once"})
	if err != nil {
		t.Fatal(err)
	}
	// Execute the same submission twice, as two proposers might.
	tx := b.MempoolTxs()
	if _, err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := b.Inject(tx...); err != nil {
		t.Fatal(err)
	}
	receipt, err := h.Wait(ctxT(t))
	if err != nil || receipt.MessageId != "once" {
		t.Fatalf("receipt %+v %v", receipt, err)
	}
	if ev := s.next(t); ev.Kind != pb.EventKind_EVENT_KIND_DELIVER {
		t.Fatalf("first event %+v", ev)
	}
	if ev := s.next(t); ev.Kind != pb.EventKind_EVENT_KIND_DELIVER_ERROR || ev.ErrorCode != pb.ErrorCode_ERROR_CODE_DUPLICATE_MESSAGE_ID {
		t.Fatalf("second event %+v", ev)
	}
}

func TestImmediateRefusal(t *testing.T) {
	fx := fixture(t)
	b := backend(t, fx, apitest.Config{AutoCommit: true})
	srv := serve(t, b, nil)
	a := client(t, fx, alice, nil, srv.Addr)
	_, err := a.Send(ctxT(t), batchTo("x", "PAR::carol::"+fx.Member(bob).Key.Fingerprint().String()), driver.SendOptions{})
	var se *driver.SendError
	if !errors.As(err, &se) || se.Code != seqapi.CodeUnknownRecipient {
		t.Fatalf("got %v, want a SendError with unknown_recipient", err)
	}
}

func TestExpiryJudgedBySequencerTime(t *testing.T) {
	fx := fixture(t)
	clock := &stepClock{t: time.Now()}
	b := backend(t, fx, apitest.Config{AutoCommit: true, Clock: clock.Now})
	srv := serve(t, b, nil)
	a := client(t, fx, alice, nil, srv.Addr)
	bc := client(t, fx, bob, nil, srv.Addr)
	subscribe(t, a, 0)
	b.DropNextSubmissions(1_000_000) // the mempool loses everything alice sends
	h, err := a.Send(ctxT(t), batchTo("x", fx.Member(bob).ID), driver.SendOptions{TTL: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// The sequencer's clock moves past the max sequencing time; an event on alice's
	// stream tells her so.
	clock.Advance(20 * time.Second)
	b.DropNextSubmissions(0) // from now on CheckTx refuses alice's submission as expired
	if _, err := bc.Send(ctxT(t), batchTo("tick", fx.Member(alice).ID), driver.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Wait(ctxT(t)); !errors.Is(err, driver.ErrExpired) {
		t.Fatalf("got %v, want ErrExpired", err)
	}
}

func TestSynchronizerMismatch(t *testing.T) {
	fx := fixture(t)
	srv := serve(t, backend(t, fx, apitest.Config{}), nil)
	other := "other::" + fx.Member(bob).Key.Fingerprint().String()
	a := client(t, fx, alice, func(c *driver.Config) { c.SynchronizerID = other }, srv.Addr)
	err := a.Connect(ctxT(t))
	if !errors.Is(err, driver.ErrSynchronizerMismatch) || !errors.Is(err, driver.ErrNoEndpoint) {
		t.Fatalf("got %v, want ErrSynchronizerMismatch", err)
	}
	ok := client(t, fx, alice, func(c *driver.Config) { c.SynchronizerID = fx.Genesis.SynchronizerID }, srv.Addr)
	if err := ok.Connect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

func TestUnregisteredKey(t *testing.T) {
	fx := fixture(t)
	srv := serve(t, backend(t, fx, apitest.Config{}), nil)
	a := client(t, fx, alice, func(c *driver.Config) { c.SigningKey = fx.Member(bob).Key }, srv.Addr)
	if err := a.Connect(ctxT(t)); !errors.Is(err, driver.ErrKeyNotRegistered) {
		t.Fatalf("got %v, want ErrKeyNotRegistered", err)
	}
}

func TestFailoverBetweenServers(t *testing.T) {
	fx := fixture(t)
	b := backend(t, fx, apitest.Config{AutoCommit: true})
	srv1, srv2 := serve(t, b, nil), serve(t, b, nil) // two nodes of one chain
	a := client(t, fx, alice, nil, srv1.Addr, srv2.Addr)
	s := subscribe(t, a, 0)
	if _, err := a.SendAndWait(ctxT(t), batchTo("one", fx.Member(bob).ID), driver.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	if a.Endpoint() != srv1.Addr {
		t.Fatalf("using %s, want %s", a.Endpoint(), srv1.Addr)
	}
	srv1.Stop()
	if _, err := a.SendAndWait(ctxT(t), batchTo("two", fx.Member(bob).ID), driver.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	if a.Endpoint() != srv2.Addr {
		t.Fatalf("using %s, want %s", a.Endpoint(), srv2.Addr)
	}
	counters(t, []*pb.SequencedEvent{s.next(t), s.next(t)}, 0, 1)
	if err := a.Acknowledge(ctxT(t), 1); err != nil {
		t.Fatal(err)
	}
}

func TestResumeAfterServerStreamBreak(t *testing.T) {
	fx := fixture(t)
	b := backend(t, fx, apitest.Config{AutoCommit: true})
	m := &countingMetrics{}
	srv := serve(t, b, func(c *api.Config) { c.Metrics = m })
	a := client(t, fx, alice, nil, srv.Addr)
	s := subscribe(t, a, 0)
	var got []*pb.SequencedEvent
	for i := range 2 {
		if _, err := a.SendAndWait(ctxT(t), batchTo(fmt.Sprint(i), fx.Member(bob).ID), driver.SendOptions{}); err != nil {
			t.Fatal(err)
		}
		got = append(got, s.next(t))
	}
	srv.API.CloseSubscriptions(errors.New("test break"))
	for i := 2; i < 4; i++ {
		if _, err := a.SendAndWait(ctxT(t), batchTo(fmt.Sprint(i), fx.Member(bob).ID), driver.SendOptions{}); err != nil {
			t.Fatal(err)
		}
		got = append(got, s.next(t))
	}
	counters(t, got, 0, 1, 2, 3)
	if m.Opens() < 2 {
		t.Fatalf("%d subscription opens, want a resubscription", m.Opens())
	}
}

func TestResumeFromCounter(t *testing.T) {
	fx := fixture(t)
	b := backend(t, fx, apitest.Config{AutoCommit: true})
	srv := serve(t, b, nil)
	a := client(t, fx, alice, nil, srv.Addr)
	bc := client(t, fx, bob, nil, srv.Addr)
	aliceSub := subscribe(t, a, 0)
	for i := range 4 {
		if _, err := a.SendAndWait(ctxT(t), batchTo(fmt.Sprint(i), fx.Member(bob).ID), driver.SendOptions{}); err != nil {
			t.Fatal(err)
		}
		aliceSub.next(t)
	}
	s := subscribe(t, bc, 2)
	counters(t, []*pb.SequencedEvent{s.next(t), s.next(t)}, 2, 3)
}

func TestGapDetected(t *testing.T) {
	fx := fixture(t)
	b := backend(t, fx, apitest.Config{AutoCommit: true})
	srv := serve(t, b, nil)
	bobID := fx.Member(bob).ID
	for i := range 3 {
		sendDirect(t, b, fx, fmt.Sprint(i))
	}
	if err := b.DeleteEvent(bobID, 1); err != nil {
		t.Fatal(err)
	}
	bc := client(t, fx, bob, nil, srv.Addr)
	s := subscribe(t, bc, 0)
	counters(t, []*pb.SequencedEvent{s.next(t)}, 0)
	if err := s.result(t); !errors.Is(err, driver.ErrGap) {
		t.Fatalf("got %v, want ErrGap", err)
	}
}

func TestGapRecoveredFromAnotherEndpoint(t *testing.T) {
	fx := fixture(t)
	t0 := time.Now()
	fixed := func() time.Time { return t0 }
	faulty := backend(t, fx, apitest.Config{AutoCommit: true, Clock: fixed})
	good := backend(t, fx, apitest.Config{AutoCommit: true, Clock: fixed})
	for i := range 3 {
		sendDirect(t, faulty, fx, fmt.Sprint(i))
		sendDirect(t, good, fx, fmt.Sprint(i))
	}
	if err := faulty.DeleteEvent(fx.Member(bob).ID, 1); err != nil {
		t.Fatal(err)
	}
	srvFaulty, srvGood := serve(t, faulty, nil), serve(t, good, nil)
	bc := client(t, fx, bob, nil, srvFaulty.Addr, srvGood.Addr)
	s := subscribe(t, bc, 0)
	got := []*pb.SequencedEvent{s.next(t), s.next(t), s.next(t)}
	counters(t, got, 0, 1, 2)
	if string(got[1].Batch.Envelopes[0].Content) != "1" {
		t.Fatalf("event 1: %+v", got[1])
	}
	if bc.Endpoint() != srvGood.Addr {
		t.Fatalf("using %s after the gap, want %s", bc.Endpoint(), srvGood.Addr)
	}
}

func TestReauthenticatesWhenTokenRefused(t *testing.T) {
	fx := fixture(t)
	b := backend(t, fx, apitest.Config{AutoCommit: true})
	clock := &stepClock{t: time.Now()}
	srv := serve(t, b, func(c *api.Config) { c.Clock = clock.Now })
	a := client(t, fx, alice, nil, srv.Addr)
	if err := a.Acknowledge(ctxT(t), 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * api.TestConfig().TokenTTL) // the server now considers the token expired
	if err := a.Acknowledge(ctxT(t), 2); err != nil {
		t.Fatalf("acknowledge after token expiry: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	fx := fixture(t)
	good := driver.DefaultConfig()
	good.Endpoints = []string{"127.0.0.1:1"}
	good.Member = fx.Member(alice).ID
	good.SigningKey = fx.Member(alice).Key
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		field  string
		mutate func(*driver.Config)
	}{
		{"endpoints", func(c *driver.Config) { c.Endpoints = nil }},
		{"member", func(c *driver.Config) { c.Member = "alice" }},
		{"signing_key", func(c *driver.Config) { c.SigningKey.Key = nil }},
		{"send_ttl", func(c *driver.Config) { c.SendTTL = 0 }},
		{"synchronizer_id", func(c *driver.Config) { c.SynchronizerID = "bad" }},
		{"endpoints[1]", func(c *driver.Config) { c.Endpoints = append(c.Endpoints, "") }},
		{"reconnect_backoff", func(c *driver.Config) { c.MaxReconnectBackoff = c.ReconnectBackoff - 1 }},
		{"tls_server_name", func(c *driver.Config) { c.TLS.ServerName = "node0" }},
		{"tls_key_file", func(c *driver.Config) { c.TLS = driver.TLS{CAFile: "ca.crt", CertFile: "member.crt"} }},
		{"tls_cert_file", func(c *driver.Config) { c.TLS = driver.TLS{CAFile: "ca.crt", KeyFile: "member.key"} }},
	} {
		c := good
		tc.mutate(&c)
		err := c.Validate()
		var ce *driver.ConfigError
		if !errors.Is(err, driver.ErrInvalidConfig) || !errors.As(err, &ce) || ce.Field != tc.field || !contains(err.Error(), tc.field) {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
}

func TestUnaryCallsFailOver(t *testing.T) {
	fx := fixture(t)
	b := backend(t, fx, apitest.Config{AutoCommit: true})
	srv1, srv2 := serve(t, b, nil), serve(t, b, nil)
	a := client(t, fx, alice, nil, srv1.Addr, srv2.Addr)
	if err := a.Connect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	srv1.Stop()
	h, err := a.Send(ctxT(t), batchTo("x", fx.Member(bob).ID), driver.SendOptions{})
	if err != nil {
		t.Fatalf("send after the first server stopped: %v", err)
	}
	if a.Endpoint() != srv2.Addr {
		t.Fatalf("using %s, want %s", a.Endpoint(), srv2.Addr)
	}
	if _, err := h.Result(); !errors.Is(err, driver.ErrNotResolved) {
		t.Fatalf("result before any subscription: %v", err)
	}
	subscribe(t, a, 0)
	if receipt, err := h.Wait(ctxT(t)); err != nil || receipt.Counter != 0 {
		t.Fatalf("receipt %+v %v", receipt, err)
	}
	srv2.Stop()
	if err := a.Acknowledge(ctxT(t), 1); !errors.Is(err, driver.ErrNoEndpoint) {
		t.Fatalf("acknowledge with every server down: %v", err)
	}
}
