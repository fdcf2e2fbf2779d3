// Package seqproof defines the hashes by which the sequencer's app hash commits to every
// member's stream, and verifies the proofs a sequencer node serves against an app hash a
// light client has verified. abci/core uses it to build the commitment; the driver uses it
// to check what a node tells it. It is pure: no I/O, no clock.
//
// The app hash of block h is
//
//	SHA-256(PurposeAppHash || h || prevAppHash || eventsRoot || membershipRoot ||
//	        countersRoot [|| trafficRoot])
//
// (each field length-prefixed, as crypto.Hasher.AddBytes writes it; trafficRoot only when
// the block changed a traffic account), and AppHashInputs carries those fields.
//
//   - eventsRoot is the Merkle root (CometBFT's crypto/merkle, RFC 6962) of the block's
//     event leaves in the order the block appended them. An event leaf (EventLeaf) hashes
//     what the member is served: member, counter, timestamp, height, kind, message id,
//     sender, error code and reason, and the hash of each envelope delivered to it
//     (EnvelopeHash over the marshalled Envelope) in order. So a member recomputes it
//     from the event alone, without other recipients' envelopes.
//   - countersRoot is CountersRoot(Merkle root, n) over a CounterLeaf(member, next
//     counter) for each of the n members with at least one event, members in byte
//     order: it proves how long a member's stream was after block h, so a node cannot
//     hide the tail of a stream. Binding n fixes every leaf's index, so a member with no
//     event is proved absent by the two adjacent leaves around its place (or by n = 0).
//   - membershipRoot is H(PurposeMembershipRoot || genesis members root || topology
//     state hash), which proves a downloaded topology state.
//
// All stream hashes use crypto.PurposeStreamProof followed by a one-word tag
// (tagEnvelope, tagEvent, tagCounter, tagCounters), so that none can be taken for another.
//
// VerifyEvent, VerifyStreamHead and VerifyTopology check a proof against an app hash;
// their errors wrap ErrLeafMismatch, ErrAppHashMismatch, ErrHeightMismatch, ErrNotAbsent
// and the other
// sentinels with the member, counter and height concerned.
package seqproof
