package participant

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cometsync/cometsync/participant/engine"
)

// metrics are the node's Prometheus metrics (namespace cometsync, subsystem participant).
// Counters count what the node applies, a replay included: a node restarted over its
// database resumes where it stopped, one recovered from the chain counts its history
// again.
type metrics struct {
	reg       *prometheus.Registry // the node's own, when no registerer was configured
	ignored   *prometheus.CounterVec
	completed *prometheus.CounterVec
	submitted *prometheus.HistogramVec
	acs       *prometheus.CounterVec
	applied   prometheus.Counter
	live      prometheus.Gauge
	pending   prometheus.Gauge
	outbox    prometheus.Gauge
	// appliedHeight is the block height of the last event applied; chainHeight the highest
	// chain height the node knows of (the height it started at, or an event it received).
	appliedHeight, chainHeight atomic.Int64
}

// Submission outcomes (label outcome of submission_duration_seconds, observed once per
// attempt by Node.submit): the completion outcomes, and failed for a submission that
// ended without a verdict (refused before it was sent, not sequenced, or abandoned by
// its caller).
const (
	outcomeCommitted = "committed"
	outcomeRejected  = "rejected"
	outcomeTimedOut  = "timed_out"
	outcomeFailed    = "failed"
)

// ACS commitment outcomes (label outcome of acs_commitments_total).
const (
	acsMatch    = "match"
	acsMismatch = "mismatch"
	acsIgnored  = "ignored"
	acsTooOld   = "too_old"
)

var ignoredReasons = []string{
	engine.IgnoredMalformed, engine.IgnoredSenderMismatch, engine.IgnoredNoPendingRequest, engine.IgnoredNotActiveMediator,
	engine.IgnoredBadSignature, engine.IgnoredWrongRequest, engine.IgnoredDuplicate,
}

func newMetrics(r prometheus.Registerer) *metrics {
	opts := func(name, help string) prometheus.Opts {
		return prometheus.Opts{Namespace: "cometsync", Subsystem: "participant", Name: name, Help: help}
	}
	m := &metrics{
		ignored: prometheus.NewCounterVec(prometheus.CounterOpts(opts("ignored_results_total",
			"Transaction results (verdicts) that were not acted on, by reason (for example result_signer_not_active_mediator).")), []string{"reason"}),
		completed: prometheus.NewCounterVec(prometheus.CounterOpts(opts("requests_completed_total",
			"Confirmation requests this participant took part in, by outcome (committed, rejected, timed_out).")), []string{"outcome"}),
		submitted: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "cometsync", Subsystem: "participant", Name: "submission_duration_seconds",
			Help:    "Time from a submission (one attempt of a command) to its outcome, by outcome (committed, rejected, timed_out; failed: no verdict).",
			Buckets: prometheus.ExponentialBuckets(0.025, 2, 13), // 25ms to about 100s
		}, []string{"outcome"}),
		acs: prometheus.NewCounterVec(prometheus.CounterOpts(opts("acs_commitments_total",
			"ACS commitments received from counter-participants, by outcome: match or mismatch (per own period compared), ignored (not signed by its sender, not for us) or too_old.")), []string{"outcome"}),
		applied: prometheus.NewCounter(prometheus.CounterOpts(opts("events_applied_total",
			"Events of the participant's stream applied (a replay counts its events too)."))),
		live: prometheus.NewGauge(prometheus.GaugeOpts(opts("live",
			"1 once the node has applied its stream up to the chain height at its start (it then sends), 0 while it replays."))),
		pending: prometheus.NewGauge(prometheus.GaugeOpts(opts("pending_requests",
			"Confirmation requests awaiting a verdict (their inputs are locked)."))),
		outbox: prometheus.NewGauge(prometheus.GaugeOpts(opts("outbox_messages",
			"Messages the node decided to send (confirmation responses) without a receipt on its stream yet."))),
	}
	applied := prometheus.NewGaugeFunc(prometheus.GaugeOpts(opts("applied_height",
		"Block height of the last event the node applied.")), func() float64 { return float64(m.appliedHeight.Load()) })
	chain := prometheus.NewGaugeFunc(prometheus.GaugeOpts(opts("chain_height",
		"Highest chain height the node knows of: the height it started at, or that of the last event it received.")),
		func() float64 { return float64(m.chainHeight.Load()) })
	lag := prometheus.NewGaugeFunc(prometheus.GaugeOpts(opts("stream_lag_blocks",
		"Blocks between the chain height the node knows of and the last event it applied (chain_height - applied_height).")), m.lag)
	for _, reason := range ignoredReasons {
		m.ignored.WithLabelValues(reason)
	}
	for _, o := range []string{outcomeCommitted, outcomeRejected, outcomeTimedOut} {
		m.completed.WithLabelValues(o)
		m.submitted.WithLabelValues(o)
	}
	m.submitted.WithLabelValues(outcomeFailed)
	for _, o := range []string{acsMatch, acsMismatch, acsIgnored, acsTooOld} {
		m.acs.WithLabelValues(o)
	}
	if r == nil {
		m.reg = prometheus.NewRegistry()
		r = m.reg
	}
	r.MustRegister(m.ignored, m.completed, m.submitted, m.acs, m.applied, m.live, m.pending, m.outbox, applied, chain, lag)
	return m
}

func (m *metrics) lag() float64 {
	return float64(max(0, m.chainHeight.Load()-m.appliedHeight.Load()))
}

// knowHeight raises the chain height the node knows of to h.
func (m *metrics) knowHeight(h int64) {
	for {
		cur := m.chainHeight.Load()
		if h <= cur || m.chainHeight.CompareAndSwap(cur, h) {
			return
		}
	}
}

// stepped records the node's state after an event (called under n.mu).
func (m *metrics) stepped(p Progress) {
	m.applied.Inc()
	m.appliedHeight.Store(p.Height)
	m.knowHeight(p.Height)
	m.pending.Set(float64(p.Pending))
	m.outbox.Set(float64(p.Outbox))
	if p.Live {
		m.live.Set(1)
	}
}

// submission observes the duration of a submission that started at start.
func (m *metrics) submission(start time.Time, c engine.Completion, err error) {
	outcome := outcomeFailed
	switch {
	case c.Committed:
		outcome = outcomeCommitted
	case c.TimedOut:
		outcome = outcomeTimedOut
	case c.RequestID != 0 && err != nil:
		outcome = outcomeRejected
	}
	m.submitted.WithLabelValues(outcome).Observe(time.Since(start).Seconds())
}

// Metrics returns the registry holding the node's metrics when it was started without
// a Registerer (nil otherwise: they are in the configured one).
func (n *Node) Metrics() *prometheus.Registry { return n.metrics.reg }
