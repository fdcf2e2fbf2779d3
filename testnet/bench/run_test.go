package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// blockSystem is a fake chain: every interval it commits up to perBlock admitted
// submissions, so its throughput is bound by the window below perBlock/interval and
// flat above. Like the sequencer, it refuses a submission that was not prepared.
type blockSystem struct {
	mu        sync.Mutex
	from, to  uint64 // prepared: from+1 .. to
	queue     []uint64
	done      chan uint64
	perBlock  int
	stop      chan struct{}
	unprepped atomic.Int64
}

func newBlockSystem(interval time.Duration, perBlock int) *blockSystem {
	s := &blockSystem{done: make(chan uint64, 1<<16), perBlock: perBlock, stop: make(chan struct{})}
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.commit()
			case <-s.stop:
				return
			}
		}
	}()
	return s
}

func (s *blockSystem) commit() {
	s.mu.Lock()
	n := min(len(s.queue), s.perBlock)
	block := s.queue[:n:n]
	s.queue = s.queue[n:]
	s.mu.Unlock()
	for _, seq := range block {
		s.done <- seq
	}
}

func (s *blockSystem) submit(_ context.Context, seq uint64, _ []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq <= s.from || seq > s.to {
		s.unprepped.Add(1)
		return fmt.Errorf("submission %d was not pre-signed", seq)
	}
	s.queue = append(s.queue, seq)
	return nil
}

func (s *blockSystem) prepare(from uint64, n int, _ []byte) {
	s.mu.Lock()
	s.from, s.to = from, from+uint64(n)
	s.mu.Unlock()
}

func (s *blockSystem) completions() <-chan uint64   { return s.done }
func (s *blockSystem) blockInterval() time.Duration { return 0 }
func (s *blockSystem) close()                       { close(s.stop) }

// TestSearchSaturation checks that the window doubles while throughput does not fall,
// that the best rate is the system's ceiling, and that the search never sends a submission that was not prepared even with a
// budget far too small for one step.
func TestSearchSaturation(t *testing.T) {
	s := newBlockSystem(10*time.Millisecond, 20) // at most 2000/s
	defer s.close()
	o := DefaultOptions()
	o.Phase, o.Window, o.MaxWindow, o.Workers, o.Presign = 300*time.Millisecond, 4, 256, 4, 50
	var out bytes.Buffer
	var next atomic.Uint64
	best, at, capped, err := searchSaturation(t.Context(), &out, s, make([]byte, 8), o, &next)
	t.Log(out.String())
	if err != nil {
		t.Fatal(err)
	}
	if s.unprepped.Load() != 0 {
		t.Fatalf("%d submissions sent that were not prepared", s.unprepped.Load())
	}
	if capped || at < 16 || best.PerSec < 1000 || best.PerSec > 2500 {
		t.Errorf("best %.0f/s at window %d (capped %v): want about 2000/s, not capped, at a window of 16 or more", best.PerSec, at, capped)
	}
	if !strings.Contains(out.String(), "ran out") {
		t.Errorf("a budget of %d should have run out at window %d: %s", o.Presign, o.Window, out.String())
	}
}

func TestSearchSaturationCapped(t *testing.T) {
	s := newBlockSystem(10*time.Millisecond, 1000)
	defer s.close()
	o := DefaultOptions()
	o.Phase, o.Window, o.MaxWindow, o.Workers = 200*time.Millisecond, 2, 8, 2
	var next atomic.Uint64
	_, at, capped, err := searchSaturation(t.Context(), new(bytes.Buffer), s, make([]byte, 8), o, &next)
	if err != nil {
		t.Fatal(err)
	}
	if !capped || at != o.MaxWindow {
		t.Errorf("window %d, capped %v: want the rate still growing at window %d", at, capped, o.MaxWindow)
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		field  string
		modify func(*Options)
	}{
		{"Workloads", func(o *Options) { o.Workloads = nil }},
		{"Phase", func(o *Options) { o.Phase = 0 }},
		{"Window", func(o *Options) { o.Window = 0 }},
		{"MaxWindow", func(o *Options) { o.MaxWindow = o.Window - 1 }},
		{"Workers", func(o *Options) { o.Workers = 0 }},
		{"Presign", func(o *Options) { o.Presign = -1 }},
		{"Systems", func(o *Options) { o.Systems = []string{"kvstore", "tendermint"} }},
	} {
		o := DefaultOptions()
		tc.modify(&o)
		err := o.Validate()
		var ce *ConfigError
		if !errors.Is(err, ErrInvalidOptions) || !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
	if err := DefaultOptions().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestPrintTableRatios(t *testing.T) {
	w1, w2 := Workload{256, 1}, Workload{4096, 1}
	var out bytes.Buffer
	PrintTable(&out, []Result{
		{System: "kvstore", Workload: w1, Throughput: 10000, Window: 4000},
		{System: "kvstore-rpc", Workload: w1, Throughput: 5000, Window: 8000},
		{System: "sequencer", Workload: w1, Throughput: 4000, CPU: 150 * time.Microsecond, Window: 16000, Capped: true},
		{System: "kvstore", Workload: w2, Throughput: 2000, Window: 2000},
		{System: "sequencer", Workload: w2, Throughput: 1000, Window: 2000},
		{System: "sequencer-traffic", Workload: w2, Throughput: 970, Window: 2000},
	})
	lines := strings.Split(out.String(), "\n")
	for i, want := range map[int][]string{
		3: {"150µs", "16000+", "0.40", "0.80", "-"},
		5: {"-", "2000", "0.50", "-", "-"},
		6: {"-", "2000", "-", "-", "0.97"},
	} {
		f := strings.Fields(lines[i])
		if got := []string{f[5], f[6], f[len(f)-3], f[len(f)-2], f[len(f)-1]}; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("line %q: CPU, window and ratios %v, want %v", lines[i], got, want)
		}
	}
	if !strings.Contains(out.String(), "note: sequencer 256B x1 still grew at window 16000") {
		t.Errorf("no note for the capped row:\n%s", out.String())
	}
}
