// Package driver is the sequencer client used by participants and mediators: it
// connects to one of several sequencer nodes, authenticates, sends signed submissions,
// follows the member's event stream and acknowledges it.
//
// A Client is created with New and connected with Connect, which picks the first
// reachable endpoint, checks the protocol version (Handshake) and the synchronizer id
// (pinned in Config.SynchronizerID, or pinned at the first id seen when empty;
// ErrSynchronizerMismatch otherwise) and authenticates with the member's signing key
// (Challenge, then Authenticate with a signature over api.AuthenticationHash). The token
// is renewed before it expires, and once more when a call is refused as
// Unauthenticated. When a call fails with Unavailable, or the connection fails, the
// client moves to the next endpoint and retries there.
//
// Subscribe follows the member's stream from a counter and calls a Handler for every
// event, in order, one at a time: the stream waits for the handler (backpressure). It
// reconnects on stream failure and resumes at the next expected counter; duplicates
// (counters already delivered) are dropped, and a counter jump (ErrGap) or a timestamp
// that does not increase (ErrOutOfOrder) makes it move to the next endpoint. When every
// endpoint in turn shows a gap, Subscribe returns ErrGap.
//
// Send signs and submits a batch and returns a Handle that resolves from the client's own
// subscription: with the receipt (the DELIVER event carrying the message id), with a
// *DeliverError (a DELIVER_ERROR event for it) or with ErrExpired when an event sequenced
// after the max sequencing time arrives without a receipt. So Send's results need a
// running Subscribe on the same Client. Until the handle resolves, the same signed bytes
// are resubmitted every Config.ResubmitInterval (a CometBFT mempool may drop a tx that
// CheckTx admitted; the sequencer's dedupe makes resubmission safe). When the local clock
// passes the max sequencing time without an answer, the client sends time proofs (empty
// batches to itself) so that the sequencer's own time decides expiry.
//
// Submissions (Send, resubmissions, time proofs, SubmitSigned) leave through two sender
// goroutines per Client: a submission made while a sender is idle goes out at once in a
// plain Send; those made while both have a call in flight queue up and go together in
// the next SendBatch call (at most 256 submissions and about 1 MiB), whose signatures
// the sequencer verifies as one batch. A member with many concurrent submissions thus
// pays one round trip and a fraction of a signature check per submission, and the
// sequencer verifies one call's batch while it admits the other's to its mempool.
package driver
