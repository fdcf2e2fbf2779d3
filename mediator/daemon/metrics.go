package daemon

import (
	"strings"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cometsync/cometsync/mediator"
	pb "github.com/cometsync/cometsync/proto/mediatorpb"
)

// processMetrics are a Node's Prometheus metrics (namespace cometsync, subsystem
// mediator). The process rebuilds its state from its stream at every start: verdicts and
// ignored responses are counted only once it is live (those of the replay were counted
// by the run that decided them); events_applied_total counts the replay too.
type processMetrics struct {
	reg      *prometheus.Registry // the process's own, when no registerer was configured
	verdicts *prometheus.CounterVec
	ignored  *prometheus.CounterVec
	applied  prometheus.Counter
	live     prometheus.Gauge
	pending  prometheus.Gauge
	outbox   prometheus.Gauge
	// appliedHeight is the block height of the last event applied; chainHeight the highest
	// chain height the process knows of (the height it started at, or an event it received).
	appliedHeight, chainHeight atomic.Int64
}

func newProcessMetrics(r prometheus.Registerer) *processMetrics {
	opts := func(name, help string) prometheus.Opts {
		return prometheus.Opts{Namespace: "cometsync", Subsystem: "mediator", Name: name, Help: help}
	}
	m := &processMetrics{
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts(opts("verdicts_total",
			"Verdicts decided, by verdict (approve, reject) and reject code (none for an approval; timeout, participant_rejected, malformed_request, …).")),
			[]string{"verdict", "reject_code"}),
		ignored: prometheus.NewCounterVec(prometheus.CounterOpts(opts("responses_ignored_total",
			"Confirmation responses, or their parts for one view and party, that did not count, by reason (for example not_hosted, unknown_request).")),
			[]string{"reason"}),
		applied: prometheus.NewCounter(prometheus.CounterOpts(opts("events_applied_total",
			"Events of the mediator's stream applied (the replay at start included)."))),
		live: prometheus.NewGauge(prometheus.GaugeOpts(opts("live",
			"1 once the mediator has replayed its stream up to the chain height at its start (it then sends verdicts), 0 before."))),
		pending: prometheus.NewGauge(prometheus.GaugeOpts(opts("requests_pending",
			"Confirmation requests awaiting a verdict."))),
		outbox: prometheus.NewGauge(prometheus.GaugeOpts(opts("outbox_verdicts",
			"Verdicts decided without a receipt on the mediator's stream yet."))),
	}
	applied := prometheus.NewGaugeFunc(prometheus.GaugeOpts(opts("applied_height",
		"Block height of the last event the mediator applied.")), func() float64 { return float64(m.appliedHeight.Load()) })
	chain := prometheus.NewGaugeFunc(prometheus.GaugeOpts(opts("chain_height",
		"Highest chain height the mediator knows of: the height it started at, or that of the last event it received.")),
		func() float64 { return float64(m.chainHeight.Load()) })
	lag := prometheus.NewGaugeFunc(prometheus.GaugeOpts(opts("stream_lag_blocks",
		"Blocks between the chain height the mediator knows of and the last event it applied (chain_height - applied_height).")),
		func() float64 { return float64(max(0, m.chainHeight.Load()-m.appliedHeight.Load())) })
	m.verdicts.WithLabelValues("approve", "none")
	for code := range pb.RejectCode_name {
		if c := pb.RejectCode(code); c != pb.RejectCode_REJECT_CODE_UNSPECIFIED {
			m.verdicts.WithLabelValues("reject", rejectCodeLabel(c))
		}
	}
	for _, label := range mediator.IgnoredResponseReasons() {
		m.ignored.WithLabelValues(label)
	}
	if r == nil {
		m.reg = prometheus.NewRegistry()
		r = m.reg
	}
	r.MustRegister(m.verdicts, m.ignored, m.applied, m.live, m.pending, m.outbox, applied, chain, lag)
	return m
}

// knowHeight raises the chain height the process knows of to h.
func (m *processMetrics) knowHeight(h int64) {
	for {
		cur := m.chainHeight.Load()
		if h <= cur || m.chainHeight.CompareAndSwap(cur, h) {
			return
		}
	}
}

// stepped records an applied event at height and what the core produced for it.
func (m *processMetrics) stepped(height int64, rd mediator.Ready, live bool, pending, outbox int) {
	m.applied.Inc()
	m.appliedHeight.Store(height)
	m.knowHeight(height)
	m.pending.Set(float64(pending))
	m.outbox.Set(float64(outbox))
	if !live {
		return
	}
	m.live.Set(1)
	for _, r := range rd.Results {
		verdict, code := "approve", "none"
		if r.Result.Verdict != pb.Verdict_VERDICT_APPROVE {
			verdict, code = "reject", rejectCodeLabel(r.Result.RejectCode)
		}
		m.verdicts.WithLabelValues(verdict, code).Inc()
	}
	for _, rec := range rd.Records {
		if rec.Kind == pb.RecordKind_RECORD_KIND_RESPONSE_IGNORED {
			m.ignored.WithLabelValues(mediator.IgnoredResponseReason(rec.Detail)).Inc()
		}
	}
}

// rejectCodeLabel is the code's name in lower case without its prefix (timeout).
func rejectCodeLabel(c pb.RejectCode) string {
	return strings.ToLower(strings.TrimPrefix(c.String(), "REJECT_CODE_"))
}
