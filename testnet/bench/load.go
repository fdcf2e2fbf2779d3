package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// system is one chain under test.
type system interface {
	// submit sends submission seq with the given payload; it returns once the node has
	// admitted it (CheckTx passed).
	submit(ctx context.Context, seq uint64, payload []byte) error
	// completions delivers the sequence number of every completed submission.
	completions() <-chan uint64
	// prepare readies submissions from+1 .. from+n before a timed phase.
	prepare(from uint64, n int, payload []byte)
	// blockInterval is the mean time between the last blocks.
	blockInterval() time.Duration
	close()
}

// Workload is one benchmark configuration.
type Workload struct {
	Payload    int
	Recipients int
}

func (w Workload) String() string { return fmt.Sprintf("%dB x%d", w.Payload, w.Recipients) }

// Result is one measured row.
type Result struct {
	System        string
	Workload      Workload
	Throughput    float64 // completed submissions/s at saturation
	MBps          float64 // payload MB/s at saturation
	HalfRate      float64 // offered rate of the latency phase
	P50, P99      time.Duration
	BlockInterval time.Duration
	Completed     int
}

// tracker matches completions with submit times.
type tracker struct {
	mu        sync.Mutex
	submitted map[uint64]time.Time
	latencies []time.Duration
	done      int
	notify    chan struct{}
	slots     chan struct{} // when set, one slot is released per completion
	rejected  atomic.Int64  // submissions refused as backpressure
}

func newTracker() *tracker {
	return &tracker{submitted: make(map[uint64]time.Time), notify: make(chan struct{}, 1)}
}

func (t *tracker) start(seq uint64) {
	t.mu.Lock()
	t.submitted[seq] = time.Now()
	t.mu.Unlock()
}

func (t *tracker) complete(seq uint64) {
	t.mu.Lock()
	if at, ok := t.submitted[seq]; ok {
		t.latencies = append(t.latencies, time.Since(at))
		delete(t.submitted, seq)
		t.done++
		if t.slots != nil {
			<-t.slots
		}
	}
	t.mu.Unlock()
	select {
	case t.notify <- struct{}{}:
	default:
	}
}

// forget drops a submission that was refused, releasing its slot.
func (t *tracker) forget(seq uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.submitted[seq]; ok {
		delete(t.submitted, seq)
		if t.slots != nil {
			<-t.slots
		}
	}
}

func isBackpressure(err error) bool {
	return strings.Contains(err.Error(), "mempool is full")
}

func (t *tracker) inFlight() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.submitted)
}

func (t *tracker) completed() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.done
}

func (t *tracker) percentiles() (p50, p99 time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.latencies) == 0 {
		return 0, 0
	}
	l := slices.Clone(t.latencies)
	slices.Sort(l)
	return l[len(l)*50/100], l[min(len(l)-1, len(l)*99/100)]
}

func (t *tracker) follow(ctx context.Context, s system) {
	for {
		select {
		case seq := <-s.completions():
			t.complete(seq)
		case <-ctx.Done():
			return
		}
	}
}

// saturate keeps window submissions in flight, from workers goroutines, for d and
// returns completions/s measured after a warm-up of d/5.
func saturate(ctx context.Context, s system, payload []byte, window, workers int, d time.Duration, next *atomic.Uint64) (float64, error) {
	tr := newTracker()
	tr.slots = make(chan struct{}, window)
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go tr.follow(fctx, s)
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				select {
				case tr.slots <- struct{}{}:
				case <-ctx.Done():
					return
				}
				seq := next.Add(1)
				tr.start(seq)
				if err := s.submit(ctx, seq, payload); err != nil {
					// A full mempool is backpressure: give the slot back and wait for a
					// completion before offering more. Anything else ends the run.
					if !isBackpressure(err) || tr.rejected.Add(1) > 100000 {
						errs <- fmt.Errorf("submit %d: %w", seq, err)
						return
					}
					tr.forget(seq)
					select {
					case <-tr.notify:
					case <-ctx.Done():
						return
					}
				}
			}
		}()
	}
	warm := time.NewTimer(d / 5)
	<-warm.C
	startDone, startAt := tr.completed(), time.Now()
	wg.Wait()
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	return float64(tr.completed()-startDone) / time.Since(startAt).Seconds(), nil
}

// paced submits at rate per second for d, waits for the stragglers and returns the
// latency percentiles.
func paced(ctx context.Context, s system, payload []byte, rate float64, d time.Duration, next *atomic.Uint64) (p50, p99 time.Duration, n int, err error) {
	tr := newTracker()
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go tr.follow(fctx, s)
	interval := time.Duration(float64(time.Second) / rate)
	t0 := time.Now()
	for i := 0; time.Since(t0) < d; i++ {
		if wait := time.Until(t0.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait) // pacing the offered load, not synchronization
		}
		seq := next.Add(1)
		tr.start(seq)
		if err := s.submit(ctx, seq, payload); err != nil {
			return 0, 0, 0, fmt.Errorf("submit %d: %w", seq, err)
		}
	}
	drain, cancelDrain := context.WithTimeout(ctx, 30*time.Second)
	defer cancelDrain()
	for tr.inFlight() > 0 {
		select {
		case <-tr.notify:
		case <-drain.Done():
			return 0, 0, 0, fmt.Errorf("%d submissions not completed 30s after the latency phase", tr.inFlight())
		}
	}
	p50, p99 = tr.percentiles()
	return p50, p99, tr.completed(), nil
}
