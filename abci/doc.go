// Package abci adapts the deterministic sequencer core (package abci/core) to CometBFT's
// ABCI 2.0 interface and persists its state in badger.
//
// FinalizeBlock reads a consistent snapshot of committed state, asks the core to execute
// the block and keeps the resulting Outcome; Commit writes the Outcome's writes in one
// badger transaction and wakes the readers waiting for new events. Info reports the last
// committed height and app hash so that CometBFT's handshake replays any block the
// application has not yet applied — including every block, when the application database
// was wiped.
package abci
