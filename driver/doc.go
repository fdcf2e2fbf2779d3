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
// Verified reads (Config.Verify): the client then trusts no single node. It runs
// CometBFT's light client (light.NewClient, skipping verification with the default trust
// level, verified light blocks in a light/store/db over Verify.Store or memory) over the
// nodes' SequencerProofService.GetLightBlock: the endpoint in use is the primary, the
// other endpoints are witnesses. The trust root is the CometBFT genesis (header 1 must be
// signed by its validators), a trusted height and hash, or trust on first use kept in a
// persistent store. Subscribe asks for an EventProof with every event and delivers an
// event only once seqproof.VerifyEvent accepts it against the app hash of the verified
// header after its block (waiting for that header: a delay, not a failure); every
// Verify.HeadInterval it checks the proven head of the stream (seqproof.VerifyStreamHead)
// and holds events the head shows but the node did not deliver within Verify.OmissionWait
// to be withheld. DownloadTopologyState checks the state with seqproof.VerifyTopology. A
// failure is a *VerifyError of ErrEventProof, ErrOmittedEvents or ErrHeaderVerification
// with the endpoint, member, counter and height; the client quarantines the endpoint and
// resumes from the next unverified counter on another one (with one endpoint it retries
// with backoff, logging at ERROR), and Subscribe gives up after Verify.GiveUpAfter
// failures in a row when that is set. Config.SubscribeAgreed is the alternative without
// proofs: Subscribe becomes SubscribeAgreed over every endpoint.
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
