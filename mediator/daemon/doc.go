// Package daemon runs a mediator: Node is the mediator's core (package mediator) on the
// member runtime (package member) over its database (mediator/store), and Config, Load,
// Init and Start are the home directory (HOME/mediator.toml, the key store, the
// database) around it, as participant/daemon is for a participant.
//
// The node follows the mediator's stream from the database's next counter; each event
// goes through the Intake into the core, and its effects — the requests the core changed
// or forgot, its audit records, the verdicts it decided (signed, not yet sealed) — are
// committed with the counter in one transaction. Once caught up, the runtime sends the
// verdicts without a receipt, each sealed with the current encryption keys and with the
// request's deadline as its max sequencing time; a verdict whose deadline has passed is
// not sent. An empty database is rebuilt from counter 0 (Recover prints what it
// rebuilt): verdict message ids are deterministic, so a verdict the replay finds
// sequenced is not sent again.
//
// The node counts verdicts, ignored responses and its stream progress in Prometheus
// metrics (namespace cometsync, subsystem mediator; docs/monitoring-members.md) and
// serves them when metrics_address is set.
package daemon
