package bench

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// TestE2EBenchCounts runs the e2e bench code path on a one-validator chain with a few
// IOUs and one-second runs (closed loop, a saturation step, half saturation), and checks that its counts agree: every submitted transfer
// committed with a latency recorded, the issuer's participant holds every IOU, and the
// replayed participant has the live ACS hash and updates; with transfers between two
// parties of one participant and between parties of different participants.
func TestE2EBenchCounts(t *testing.T) {
	for _, across := range []bool{false, true} {
		t.Run(map[bool]string{false: "one participant", true: "across participants"}[across], func(t *testing.T) {
			o := TestE2EOptions()
			o.Across = across
			testE2EBenchCounts(t, o)
		})
	}
}

func testE2EBenchCounts(t *testing.T, o E2EOptions) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	rep, err := RunE2E(ctx, &out, o)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rep.Runs); n != 3 || rep.Runs[1].Concurrency != o.IOUs || rep.Runs[2].Offered <= 0 {
		t.Fatalf("want a closed-loop run, a saturation step with every IOU in flight and a half-saturation run, got %+v", rep.Runs)
	}
	for _, r := range rep.Runs {
		if r.Committed == 0 || r.Rejected != 0 || r.Submitted != r.Committed || len(r.Latencies) != r.Committed {
			t.Errorf("%s: submitted %d, committed %d, rejected %d, latencies %d", r.Name, r.Submitted, r.Committed, r.Rejected, len(r.Latencies))
		}
	}
	rp := rep.Replay
	if !bytes.Equal(rp.ACSHash, rp.LiveACSHash) || rp.Contracts != o.IOUs || rp.Updates != rp.LiveUpdates {
		t.Errorf("replay: hash %x vs live %x, %d contracts (want %d), %d updates vs %d live", rp.ACSHash, rp.LiveACSHash, rp.Contracts, o.IOUs, rp.Updates, rp.LiveUpdates)
	}
	if v := rp.Verified; !bytes.Equal(v.ACSHash, rp.LiveACSHash) || v.FirstHeight < 2 || v.LastHeight < v.FirstHeight {
		t.Errorf("verified replay: hash %x vs live %x, headers %d..%d verified", v.ACSHash, rp.LiveACSHash, v.FirstHeight, v.LastHeight)
	}
	if rp.Events < int64(o.ReplayEvents) || rep.LiveEvents <= 0 {
		t.Errorf("replayed stream of %d events (want >= %d), %d live events", rp.Events, o.ReplayEvents, rep.LiveEvents)
	}
}

func TestE2EOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		field  string
		modify func(*E2EOptions)
	}{
		{"Validators", func(o *E2EOptions) { o.Validators = 0 }},
		{"IOUs", func(o *E2EOptions) { o.IOUs = 1 }},
		{"Concurrency", func(o *E2EOptions) { o.Concurrency = o.IOUs + 1 }},
		{"Rate", func(o *E2EOptions) { o.Rate = -1 }},
		{"Duration", func(o *E2EOptions) { o.Duration = 0 }},
		{"ReplayEvents", func(o *E2EOptions) { o.ReplayEvents = -1 }},
	} {
		o := DefaultE2EOptions()
		tc.modify(&o)
		err := o.Validate()
		var ce *ConfigError
		if !errors.Is(err, ErrInvalidOptions) || !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
	if err := DefaultE2EOptions().Validate(); err != nil {
		t.Fatal(err)
	}
}
