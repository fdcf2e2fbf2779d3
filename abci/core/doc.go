// Package core is the deterministic sequencer state machine behind the ABCI application.
//
// It is a pure function of the committed state and a block:
//
//	Execute(state Reader, block Block) -> Outcome{writes, tx results, deliveries, app hash}
//
// It never touches the network, the disk, the wall clock or randomness, and it never
// depends on map iteration order: two validators executing the same block over the same
// state produce byte-identical writes and the same app hash. The ABCI adapter (package
// abci) reads committed state from badger, calls Execute in FinalizeBlock and writes the
// Outcome in Commit.
//
// A block's transactions are SignedSubmissions. Each valid one gets a sequencing timestamp
// strictly greater than the previous one, its batch is stored once under that timestamp,
// and every member it is addressed to (plus the sender, as a receipt) gets the next entry
// of its own stream. A submission that is signed by its sender but cannot be delivered
// (expired, duplicate message id, unknown recipient, over a limit) becomes a DeliverError
// on the sender's stream. A submission that cannot be attributed (undecodable, unknown
// sender, bad signature) is dropped and the reason is reported in the transaction result.
//
// Stream entries are small references (timestamp, envelope indexes, message id); a
// block stores each member's new entries together, up to 64 per record, keyed by the
// counter of the record's last entry, so that a block writes a few keys per member
// rather than one per entry, and a reader seeks to the record holding its next counter
// (keys.go has the whole key layout). Outcome.Batches hands the block's decoded batches
// to the adapter, which keeps recent ones in memory for the subscriptions (BatchCache).
//
// With traffic control on (TrafficControlParameters in the on-chain synchronizer
// parameters), each delivered submission is charged to its sender's traffic account, and
// one its account cannot pay for becomes a DeliverError TRAFFIC_EXCEEDED (traffic.go). The
// app hash of block h is SHA-256(purpose || h || appHash(h-1) || eventsRoot(h) ||
// membershipRoot), followed by the Merkle root of the traffic accounts the block changed
// when it changed any (so a chain without traffic control hashes as before).
//
// CheckTx runs the same validation against committed state for mempool admission; it is
// advisory, and Execute re-validates everything.
package core
