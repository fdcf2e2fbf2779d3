// Package metricshttp serves a member daemon's Prometheus metrics (a participant's or a
// mediator's) at /metrics, usually its own registry with the Go runtime and process
// metrics of the default one (WithRuntime). The daemon starts it with Listen and stops
// it with Close.
package metricshttp
