// Package participant runs a participant node around the deterministic engine
// (participant/engine) on the member runtime (package member): the runtime follows the
// participant's stream from the first event its database (participant/store) has not
// applied — counter 0 for an empty one — keeping the topology state in step
// (topology.State.Follow); every event steps the engine and is committed to the database
// with what the engine decided to send, and those sends go out through the driver once
// the node has caught up with the chain. Sends whose receipts appear later in a replayed
// stream are not sent again. Chain history plus the participant's keys are the golden
// source: a wiped database is rebuilt from them (participant/daemon.Recover).
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
