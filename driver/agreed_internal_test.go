package driver

import (
	"crypto/sha256"
	"errors"
	"testing"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

func mkVote(endpoint int, counter int64, content string) vote {
	ev := &pb.SequencedEvent{Counter: counter, TimestampMicros: 100 + counter, Batch: &pb.Batch{Envelopes: []*pb.Envelope{{Content: []byte(content)}}}}
	b, _ := ev.Marshal()
	return vote{endpoint: endpoint, ev: ev, digest: sha256.Sum256(b)}
}

// TestAgreement: 4 endpoints, threshold 2 (f = 1).
func TestAgreement(t *testing.T) {
	a := &agreement{n: 4, threshold: 2, next: 0, votes: map[int64][]vote{}}
	steps := []struct {
		v       vote
		deliver string // content released after the vote, "" for none
	}{
		{mkVote(0, 0, "a"), ""},
		{mkVote(0, 1, "b"), ""}, // ahead: kept
		{mkVote(3, 0, "EVIL"), ""},
		{mkVote(0, 0, "a"), ""}, // resent after a reconnect: counted once
		{mkVote(1, 0, "a"), "a"},
		{mkVote(2, 0, "a"), ""}, // late vote for a delivered counter
		{mkVote(2, 1, "b"), "b"},
	}
	for i, s := range steps {
		if err := a.add(s.v); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		got := ""
		if ev := a.agreed(); ev != nil {
			got = string(ev.Batch.Envelopes[0].Content)
		}
		if got != s.deliver {
			t.Fatalf("step %d: released %q, want %q", i, got, s.deliver)
		}
	}
	if a.next != 2 || len(a.votes) != 0 {
		t.Fatalf("next %d, %d counters buffered", a.next, len(a.votes))
	}
	// Four different versions of counter 2: no version can reach 2 votes.
	for i, content := range []string{"w", "x", "y"} {
		if err := a.add(mkVote(i, 2, content)); err != nil {
			t.Fatalf("version %d: %v", i, err)
		}
	}
	if err := a.add(mkVote(3, 2, "z")); !errors.Is(err, ErrNoAgreement) {
		t.Fatalf("four versions: %v, want ErrNoAgreement", err)
	}
}
