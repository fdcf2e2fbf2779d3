package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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

// resubmitter is implemented by systems whose load generator sends again what the node
// admitted and then lost; the count is reported under the table.
type resubmitter interface{ resubmissions() int }

// preparesNothing is implemented by systems whose prepare does nothing: their
// submissions are not limited to the prepared ones.
type preparesNothing interface{ preparesNothing() }

// Workload is one benchmark configuration.
type Workload struct {
	Payload    int
	Recipients int
}

func (w Workload) String() string { return fmt.Sprintf("%dB x%d", w.Payload, w.Recipients) }

// Result is one measured row.
type Result struct {
	System     string
	Workload   Workload
	Throughput float64 // completed submissions/s at saturation
	// CPU is the process CPU time (user and system, all cores) per completed submission
	// in the saturation step that gave Throughput: node, clients and load generator
	// together, since they share the process.
	CPU           time.Duration
	MBps          float64 // payload MB/s at saturation
	Window        int     // submissions in flight at which Throughput was reached
	Capped        bool    // Throughput still grew at the largest window: a lower bound
	HalfRate      float64 // offered rate of the latency phase
	P50, P99      time.Duration
	BlockInterval time.Duration
	Completed     int
	Refused       int       // latency-phase submissions refused by a full mempool
	Resubmitted   int       // admitted transactions lost by the mempool and sent again
	Runs          []float64 // with Options.Repeat > 1: the saturation rate of every run
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

// step is one saturation step: window submissions in flight, from workers goroutines,
// for d. With limit set, no submission after limit is sent (it was not prepared).
type step struct {
	window, workers int
	d               time.Duration
	limit           uint64
}

// run returns completions/s measured after a warm-up of d/5, then waits for the
// submissions in flight so that the next phase starts on an empty mempool. When the
// submissions up to limit ran out before d, exhausted is set and the rate, measured
// from the start, is only an estimate.
func (st step) run(ctx context.Context, s system, payload []byte, next *atomic.Uint64) (r stepRate, exhausted bool, err error) {
	tr := newTracker()
	tr.slots = make(chan struct{}, st.window)
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go tr.follow(fctx, s)
	t0 := time.Now()
	deadline := t0.Add(st.d)
	var wg sync.WaitGroup
	var ranOut atomic.Bool
	errs := make(chan error, st.workers)
	for w := 0; w < st.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := st.work(ctx, s, tr, payload, deadline, next, &ranOut); err != nil {
				errs <- err
			}
		}()
	}
	stopped := make(chan struct{})
	go func() { wg.Wait(); close(stopped) }()
	select {
	case <-time.After(st.d / 5):
	case <-stopped:
	}
	startDone, startAt, startCPU := tr.completed(), time.Now(), processCPU()
	<-stopped
	select {
	case err := <-errs:
		return stepRate{}, false, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return stepRate{}, false, err
	}
	if ranOut.Load() {
		startDone, startAt = 0, t0
	}
	done := tr.completed() - startDone
	r.PerSec = float64(done) / time.Since(startAt).Seconds()
	r.Refused = int(tr.rejected.Load())
	if done > 0 && !ranOut.Load() {
		r.CPU = (processCPU() - startCPU) / time.Duration(done)
	}
	return r, ranOut.Load(), drain(ctx, tr, "saturation step")
}

// stepRate is what a saturation step measured: completions/s, the process CPU time per
// completion (0 when unknown) and the submissions a full mempool refused (offered again
// under other sequence numbers; the CPU they cost is in CPU).
type stepRate struct {
	PerSec  float64
	CPU     time.Duration
	Refused int
}

// processCPU is the CPU time the process has used so far, user and system, all threads.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// work is one submitting goroutine of a step: it takes a slot of the window, submits,
// and repeats until deadline, the end of the prepared submissions, or an error.
func (st step) work(ctx context.Context, s system, tr *tracker, payload []byte, deadline time.Time, next *atomic.Uint64, ranOut *atomic.Bool) error {
	for time.Now().Before(deadline) {
		select {
		case tr.slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		seq := next.Add(1)
		if st.limit != 0 && seq > st.limit {
			<-tr.slots
			ranOut.Store(true)
			return nil
		}
		tr.start(seq)
		if err := s.submit(ctx, seq, payload); err != nil {
			// A full mempool is backpressure: give the slot back and wait for a
			// completion before offering more. Anything else ends the run.
			if !isBackpressure(err) || tr.rejected.Add(1) > 100000 {
				return fmt.Errorf("submit %d: %w", seq, err)
			}
			tr.forget(seq)
			select {
			case <-tr.notify:
			case <-ctx.Done():
				return nil
			}
		}
	}
	return nil
}

// drain waits up to 30 s for every submission of tr to complete.
func drain(ctx context.Context, tr *tracker, phase string) error {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for tr.inFlight() > 0 {
		select {
		case <-tr.notify:
		case <-dctx.Done():
			return fmt.Errorf("%d submissions not completed 30s after the %s", tr.inFlight(), phase)
		}
	}
	return nil
}

// paced submits at rate per second for d, waits for the stragglers and returns the
// latency percentiles.
func paced(ctx context.Context, s system, payload []byte, rate float64, d time.Duration, next *atomic.Uint64) (p50, p99 time.Duration, n, refused int, err error) {
	tr := newTracker()
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go tr.follow(fctx, s)
	interval := time.Duration(float64(time.Second) / rate)
	// Each submission is offered on time by its own goroutine (open loop): a submission
	// waiting for its admission must not hold back the next ones.
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	t0 := time.Now()
	for i := 0; time.Since(t0) < d; i++ {
		if wait := time.Until(t0.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait) // pacing the offered load, not synchronization
		}
		seq := next.Add(1)
		tr.start(seq)
		wg.Go(func() {
			if err := s.submit(ctx, seq, payload); err != nil {
				if isBackpressure(err) {
					// Refused by a full mempool: counted, and the phase goes on (the
					// table says the half rate was not sustained).
					tr.rejected.Add(1)
					tr.forget(seq)
					return
				}
				select {
				case errs <- fmt.Errorf("submit %d: %w", seq, err):
				default:
				}
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		return 0, 0, 0, 0, err
	default:
	}
	if err := drain(ctx, tr, "latency phase"); err != nil {
		return 0, 0, 0, 0, err
	}
	p50, p99 = tr.percentiles()
	return p50, p99, tr.completed(), int(tr.rejected.Load()), nil
}
