package app

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/seqapi"
)

// Metrics are the sequencer application's Prometheus metrics (namespace cometsync).
type Metrics struct {
	checked   *prometheus.CounterVec
	sequenced *prometheus.CounterVec
	delivered prometheus.Counter
	height    prometheus.Gauge
	blockTxs  prometheus.Histogram
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		checked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "cometsync", Subsystem: "sequencer", Name: "submissions_checked_total",
			Help: "Submissions checked for mempool admission, by result (ok or the rejection reason).",
		}, []string{"result"}),
		sequenced: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "cometsync", Subsystem: "sequencer", Name: "submissions_sequenced_total",
			Help: "Submissions in committed blocks, by result (ok or the rejection reason).",
		}, []string{"result"}),
		delivered: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "cometsync", Subsystem: "sequencer", Name: "events_sequenced_total",
			Help: "Entries appended to member streams (deliveries, receipts, errors).",
		}),
		height: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "cometsync", Subsystem: "sequencer", Name: "committed_height",
			Help: "Height of the last block the application committed.",
		}),
		blockTxs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "cometsync", Subsystem: "sequencer", Name: "block_submissions",
			Help: "Submissions per committed block.", Buckets: prometheus.ExponentialBuckets(1, 4, 8),
		}),
	}
	reg.MustRegister(m.checked, m.sequenced, m.delivered, m.height, m.blockTxs)
	return m
}

// CheckedTx implements abci.Observer.
func (m *Metrics) CheckedTx(c seqapi.Code) { m.checked.WithLabelValues(c.String()).Inc() }

// Committed implements abci.Observer.
func (m *Metrics) Committed(o *core.Outcome) {
	for _, r := range o.TxResults {
		m.sequenced.WithLabelValues(r.Code.String()).Inc()
	}
	m.delivered.Add(float64(len(o.Deliveries)))
	m.height.Set(float64(o.Meta.Height))
	m.blockTxs.Observe(float64(len(o.TxResults)))
}
