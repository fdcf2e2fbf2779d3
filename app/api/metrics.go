package api

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics receives the server's measurements. Implementations must be safe for
// concurrent use.
type Metrics interface {
	// SubscribersChanged adds delta (+1 or -1) to the number of open subscriptions.
	SubscribersChanged(delta int)
	// EventsDelivered counts events sent on subscription streams.
	EventsDelivered(n int)
	// SubmissionAccepted counts a submission the backend admitted.
	SubmissionAccepted()
	// SubmissionRejected counts a refused submission; reason is a short label such as a
	// seqapi.Code name, "permission_denied" or "unavailable".
	SubmissionRejected(reason string)
}

type nopMetrics struct{}

func (nopMetrics) SubscribersChanged(int)    {}
func (nopMetrics) EventsDelivered(int)       {}
func (nopMetrics) SubmissionAccepted()       {}
func (nopMetrics) SubmissionRejected(string) {}

// PrometheusMetrics implements Metrics with Prometheus collectors:
// cometsync_api_subscribers (gauge), cometsync_api_events_delivered_total (counter),
// cometsync_api_submissions_accepted_total (counter) and
// cometsync_api_submissions_rejected_total{reason} (counter vec).
type PrometheusMetrics struct {
	Subscribers prometheus.Gauge
	Delivered   prometheus.Counter
	Accepted    prometheus.Counter
	Rejected    *prometheus.CounterVec
}

// NewPrometheusMetrics creates the collectors and registers them with reg (when not nil).
// Registering twice on one registry fails with the registry's error.
func NewPrometheusMetrics(reg prometheus.Registerer) (*PrometheusMetrics, error) {
	m := &PrometheusMetrics{
		Subscribers: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "cometsync", Subsystem: "api", Name: "subscribers",
			Help: "Open Subscribe streams.",
		}),
		Delivered: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "cometsync", Subsystem: "api", Name: "events_delivered_total",
			Help: "Events sent on Subscribe streams.",
		}),
		Accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "cometsync", Subsystem: "api", Name: "submissions_accepted_total",
			Help: "Submissions admitted to the mempool.",
		}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "cometsync", Subsystem: "api", Name: "submissions_rejected_total",
			Help: "Submissions refused, by reason.",
		}, []string{"reason"}),
	}
	if reg == nil {
		return m, nil
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.Subscribers, m.Delivered, m.Accepted, m.Rejected} {
		errs = append(errs, reg.Register(c))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("register api metrics: %w", err)
	}
	return m, nil
}

// SubscribersChanged implements Metrics.
func (m *PrometheusMetrics) SubscribersChanged(delta int) { m.Subscribers.Add(float64(delta)) }

// EventsDelivered implements Metrics.
func (m *PrometheusMetrics) EventsDelivered(n int) { m.Delivered.Add(float64(n)) }

// SubmissionAccepted implements Metrics.
func (m *PrometheusMetrics) SubmissionAccepted() { m.Accepted.Inc() }

// SubmissionRejected implements Metrics.
func (m *PrometheusMetrics) SubmissionRejected(reason string) {
	m.Rejected.WithLabelValues(reason).Inc()
}
