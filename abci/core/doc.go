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
// one its account cannot pay for becomes a DeliverError TRAFFIC_EXCEEDED (traffic.go).
//
// # Provable streams
//
// The app hash lets a node prove to a member, against a header a light client verified,
// what its stream holds, so that a lying node can delay a member but not deceive it
// (package seqproof defines the hashes and verifies; this package builds them). The app
// hash of block h is
//
//	SHA-256(PurposeAppHash || h || appHash(h-1) || eventsRoot(h) || membershipRoot ||
//	        countersRoot(h) [|| trafficRoot(h) [|| acksRoot(h)]])
//
// with pb.AppHashInputs holding the fields:
//
//   - eventsRoot: the Merkle root (CometBFT crypto/merkle) over one leaf per event the
//     block appended, in order. The leaf (seqproof.EventLeafFromHashes) hashes the event
//     as ReadEvents serves it: member, counter, timestamp, height, kind, message id,
//     sender, error, and the hash of each envelope delivered to the member. A batch's
//     envelopes are hashed once, then each recipient's leaf over its envelopes' hashes,
//     so a member recomputes its leaf without seeing other recipients' envelopes.
//   - countersRoot: seqproof.CountersRoot of the number n of members with at least one
//     event and the Merkle root over their seqproof.CounterLeaf(member, next counter),
//     in byte order: it proves a stream's length at h, so a node cannot withhold its
//     tail, and (n fixing each leaf's index) a member without events is proved absent by
//     the adjacent leaves around its place. The machine keeps these leaves sorted
//     (counters.go) for the committed state and a few heights before it, derived from
//     state by LoadMachine (a restart or a state-sync restore gives the same set), with
//     the tree's subtree hashes (countertree.go): a block rehashes the paths of the
//     members it changed, and the leaves right of a member's first event.
//   - membershipRoot: H(PurposeMembershipRoot || genesis members root || topology state
//     hash), which proves a downloaded topology state.
//   - trafficRoot: the root of the traffic accounts the block changed, only when it
//     changed any (and, empty, when acksRoot follows).
//   - acksRoot: the root of the signed acknowledgements the block accepted (acks.go),
//     only when it accepted any.
//
// Each block stores its AppHashInputs ('H' height) and its event leaves ('L' height, the
// 32-byte leaves concatenated), so that ProveEvent and BlockProof.Prove give an event's
// Merkle path later and ProveStreamHead / Machine.ProveStreamHeadAt a stream's head.
// Cost per block: one hash per delivered envelope plus one per event (replacing the
// former hash of the whole batch per event), two small writes, and the counters tree:
// about log2(members) hashes per changed member plus copying the cached hashes
// (BenchmarkExecuteBlockStreams). The
// commitment changed the app hash: the blocks of a chain created by an earlier version
// no longer replay from genesis (app hash mismatch), and its heights before the upgrade
// have no proof records (ErrNotProvable). Such chains are not a compatibility target.
//
// CheckTx runs the same validation against committed state for mempool admission; it is
// advisory, and Execute re-validates everything.
package core
