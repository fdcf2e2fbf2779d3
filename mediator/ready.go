package mediator

import (
	"strconv"

	pb "github.com/cometsync/cometsync/proto/mediatorpb"
)

// Ready is what the core produced since the last Advance, in production order.
type Ready struct {
	// Results are the verdicts to sign and send.
	Results []Result
	// TimeProofs ask for events after given times, so that pending requests time out.
	TimeProofs []TimeProof
	// Records are the audit log entries to persist.
	Records []*pb.Record
	// Changed are the requests that the steps since the last Advance created or
	// modified, sorted by id, in their state as of Ready; Forgotten are the ids, sorted,
	// of the requests the core held at the last Advance and has forgotten since (their
	// decision time passed). Applied to the requests of the Checkpoint taken at the last
	// Advance (upserting Changed, deleting Forgotten), they give Checkpoint().Requests.
	Changed   []RequestState
	Forgotten []int64
}

// Result is a verdict to send.
type Result struct {
	// Seq numbers the results of a core from 0 in production order; replaying the same
	// events gives every result the same number.
	Seq uint64
	// EventTS is the timestamp of the event whose processing produced the result (equal
	// to Result.DecidedAtMicros).
	EventTS int64
	// Recipients are the informee participants of the request and the recipients of its
	// root hash messages, sorted and distinct.
	Recipients []string
	Result     *pb.TransactionResult
}

// MessageID is the sequencer message id under which the loop sends the result; the
// receipt carrying it tells the loop that the result is sequenced.
func (r Result) MessageID() string { return ResultMessageID(r.Result.RequestIdMicros) }

// ResultMessageID is the message id of the result of request id.
func ResultMessageID(requestID int64) string { return "tr-" + strconv.FormatInt(requestID, 10) }

// TimeProof asks the loop to make sure that an event with a timestamp after After reaches
// the core, for instance by sending the mediator an empty batch once the wall clock has
// passed After. Other events with later timestamps serve as well.
type TimeProof struct {
	RequestID int64
	After     int64
}

// HasReady reports whether Ready has anything.
func (c *Core) HasReady() bool {
	return len(c.ready.Results) > 0 || len(c.ready.TimeProofs) > 0 || len(c.ready.Records) > 0 || !c.changes.empty()
}

// Ready returns the outputs produced since the last Advance. Calling it twice without
// Advance returns the same outputs (and any produced in between).
func (c *Core) Ready() Ready {
	rd := c.ready
	rd.Changed, rd.Forgotten = c.changed(), c.forgotten()
	return rd
}

// Advance acknowledges everything returned by Ready: the loop has persisted the records
// and the request changes, handed the results to its outbox and scheduled the time
// proofs.
func (c *Core) Advance() {
	c.ready = Ready{}
	c.changes.reset()
}
