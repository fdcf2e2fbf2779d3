// Package mediator is the mediator's side of the transaction protocol: it aggregates the
// participants' confirmation responses to a confirmation request and decides the
// request's verdict.
//
// # Model
//
// Core is a deterministic state machine in the style of etcd-io/raft's RawNode. It does no
// I/O, reads no clock and keeps no goroutines: the loop around it feeds it the events the
// sequencer delivers to the mediator, in delivery order, with Step, and collects what it
// produced with Ready, acknowledging with Advance.
//
//	core, _ := mediator.NewCore(cfg)
//	for ev := range events {          // decoded from the mediator's sequenced stream
//		_ = core.Step(ev)         // RequestEvent, ResponseEvent or TimeEvent
//		if core.HasReady() {
//			rd := core.Ready()
//			persist(rd.Records, rd.Changed, rd.Forgotten, core.Meta())
//			outbox(rd.Results); schedule(rd.TimeProofs)
//			core.Advance()
//		}
//	}
//
// Time only moves through the events' sequencing timestamps. A request is identified by
// its timestamp ts and has the decision time ts + decision timeout (the synchronizer
// parameter valid at ts, which the loop passes in the RequestEvent). A response counts
// only if it is sequenced no later than the decision time. Every event first times out the
// undecided requests whose decision time lies before its timestamp; the loop makes sure
// such an event comes by asking the sequencer for a time proof (an empty batch to itself)
// once the wall clock passes a TimeProof's After.
//
// # Aggregation
//
// On arrival a request is checked (the informee tree decodes, has views, each with a
// confirming party, matches every root hash message, every confirming party can reach its
// threshold, and each participant hosting a confirming party received a root hash
// message); a failed check rejects it at once with a specific RejectCode. Otherwise each
// confirming party of each view gets a tally: the party's PartyToParticipant threshold and
// its confirming participants (Submission or Confirmation permission), both read from
// Topology at the request's time. A response from participant P for party X in view V
// counts once, and only if P hosts X with confirming permission. The request is approved
// when every tally reaches its threshold, and rejected as soon as one cannot (its
// confirming participants that have not rejected are fewer than the threshold), listing
// the rejections. A decision time that passes first rejects it with a timeout naming the
// parties below their thresholds. Each request gets exactly one result; later responses
// are recorded as ignored.
//
// # Outputs and replay
//
// Ready holds the results to sign and send (with their recipients: the participants
// hosting any informee and the recipients of the root hash messages), the time proofs to
// schedule, and audit records (one per effect, including every ignored response with its
// reason). The core's state and outputs are a function of the events: a wiped mediator
// replays its stream into a fresh core and gets the same results with the same Seq and
// EventTS; the loop sends only those whose message id (ResultMessageID) has no receipt on
// the stream. Topology and Verifier must be deterministic in their time argument for this
// to hold.
//
// A mediator need not replay from the start: Checkpoint is the core's state (Meta: the
// next Seq and the last timestamp; the requests held, sorted by id, in a JSON-encodable
// form), and Restore(cfg, cp) rebuilds a core that continues exactly as the one it was
// taken from. Ready carries the difference to persist with each step: Changed (the
// requests created or modified since the last Advance, in their current state) and
// Forgotten (the ids of those forgotten since), so a database keeps the checkpoint up to
// date at a cost proportional to what changed; mediator/store is that database.
//
// The node around the core is mediator/daemon: it runs the core on the member runtime
// (package member), which follows the stream, keeps the outbox of results without a
// receipt and flushes it once caught up, and asks for time proofs when the wall clock
// passes NextDeadline; it persists the core's state, records and outbox in its database
// (mediator/store), and counts verdicts, ignored responses and stream progress in
// Prometheus metrics.
//
// Signatures are checked through protocol.Verifier, which OnChain implements with the
// topology's keys; the core never looks keys up. The node signs results with
// protocol.SignResult (purpose 141); participants sign responses with
// protocol.SignResponse (purpose 140).
package mediator
