package mediator_test

import (
	"context"
	"slices"
	"testing"

	"github.com/cometsync/cometsync/mediator"
	pb "github.com/cometsync/cometsync/proto/mediatorpb"
	"github.com/cometsync/cometsync/protocol"
)

type fakeSender struct {
	sent   []string
	proofs int
	vks    protocol.StaticKeys
	t      *testing.T
}

func (s *fakeSender) SendResult(_ context.Context, id string, _ []string, r *pb.SignedTransactionResult) error {
	if _, err := protocol.VerifyResult(s.vks, medID, 0, r); err != nil {
		s.t.Errorf("sent result does not verify: %v", err)
	}
	s.sent = append(s.sent, id)
	return nil
}

func (s *fakeSender) RequestTimeProof(context.Context) error { s.proofs++; return nil }

type memRecords struct{ n int }

func (m *memRecords) SaveRecords(_ context.Context, recs []*pb.Record) error {
	m.n += len(recs)
	return nil
}

// TestLoopOutboxOnReplay: a wiped mediator replays its stream; the results whose receipts
// are in the stream are not sent again, the others are.
func TestLoopOutboxOnReplay(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.addKey(medID, 9)
	stream := []struct {
		ev       mediator.Event
		receipts []string
	}{
		{f.request(t0, iv(0, conf("alice"))), nil},
		{f.request(t0+1, iv(0, conf("bob"))), nil},
		{f.approve(t0+2, p1, t0, ps("alice")), nil},
		{f.approve(t0+3, p2, t0+1, ps("bob")), nil},
		{tick(t0 + 4), []string{mediator.ResultMessageID(t0)}}, // receipt of the first result
	}
	sender := &fakeSender{vks: f.vks, t: t}
	loop := mediator.NewLoop(f.newCoreQuiet(), f.keys[medID], sender, &memRecords{})
	for _, e := range stream {
		if err := loop.Handle(ctx, e.ev, e.receipts...); err != nil {
			t.Fatal(err)
		}
	}
	if err := loop.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if want := []string{mediator.ResultMessageID(t0 + 1)}; !slices.Equal(sender.sent, want) {
		t.Fatalf("sent %v, want %v", sender.sent, want)
	}
}

func TestLoopTimeProof(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.addKey(medID, 9)
	sender := &fakeSender{vks: f.vks, t: t}
	loop := mediator.NewLoop(f.newCoreQuiet(), f.keys[medID], sender, &memRecords{})
	if err := loop.Handle(ctx, f.request(t0, iv(0, conf("dec")))); err != nil {
		t.Fatal(err)
	}
	for _, now := range []int64{t0 + 10, dl, dl + 5} {
		if err := loop.MaybeRequestTimeProof(ctx, now); err != nil {
			t.Fatal(err)
		}
	}
	if sender.proofs != 1 {
		t.Fatalf("%d time proofs requested, want 1 (after the decision time)", sender.proofs)
	}
	if err := loop.Handle(ctx, tick(dl+1)); err != nil {
		t.Fatal(err)
	}
	if err := loop.MaybeRequestTimeProof(ctx, dl+100); err != nil || sender.proofs != 1 {
		t.Fatalf("time proof requested after the timeout: %d, %v", sender.proofs, err)
	}
	if out := loop.Outbox(); len(out) != 1 || out[0].Result.RejectCode != codeTimeout {
		t.Fatalf("outbox %v", out)
	}
}
