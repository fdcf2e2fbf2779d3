// Package participant runs a participant node around the deterministic engine
// (participant/engine): a driver client follows the participant's stream from counter 0,
// every event updates the topology state (topology.State.Follow) and steps the engine,
// and what the engine decides to send goes out through the driver once the node has
// caught up with the chain — sends whose receipts appear later in the replayed stream are
// not sent again (the outbox is derived from the events). Its state lives in memory and
// is rebuilt from the chain at every start: chain history plus the participant's keys are
// the golden source.
//
// Submit interprets a command against the participant's active contracts, prepares the
// transaction (views, Merkle tree), encrypts each view to the participants hosting its
// informees (keys from their on-chain OwnerToKeyMappings) and the informee tree to the
// mediators, sends the batch and waits for the verdict.
//
// The node keeps Prometheus metrics (namespace cometsync, subsystem participant; see
// metrics.go and docs/monitoring-members.md) in Config.Registerer or its own registry
// (Node.Metrics); the daemon serves them.
package participant
