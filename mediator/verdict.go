package mediator

import (
	"errors"
	"fmt"
	"slices"

	pb "github.com/cometsync/cometsync/proto/mediatorpb"
)

// decide produces the request's one and only result at the event with timestamp ts.
func (c *Core) decide(r *request, ts int64, res *pb.TransactionResult) {
	r.decided = true
	c.changes.touch(r.id)
	res.RequestIdMicros = r.id
	res.RootHash = slices.Clone(r.rootHash)
	res.SynchronizerId = c.cfg.SynchronizerID
	res.Mediator = c.cfg.Mediator
	res.DecidedAtMicros = ts
	c.ready.Results = append(c.ready.Results, Result{Seq: c.seq, EventTS: ts, Recipients: slices.Clone(r.recipients), Result: res})
	c.seq++
	c.record(&pb.Record{Kind: pb.RecordKind_RECORD_KIND_VERDICT, RequestIdMicros: r.id, Result: res})
	c.log.Debug("verdict", "request", r.id, "verdict", res.Verdict, "code", res.RejectCode, "reason", res.RejectReason)
}

// outcome returns the verdict the votes so far determine, or nil while undetermined: a
// reject as soon as one party cannot reach its threshold, an approve once all have.
func (r *request) outcome() *pb.TransactionResult {
	var lost []*pb.ViewParty
	all := true
	for _, v := range r.views {
		for _, t := range v.parties {
			if t.unreachable() {
				lost = append(lost, t.viewParty(v.position))
			}
			all = all && t.reached()
		}
	}
	switch {
	case len(lost) > 0:
		return r.rejectedResult(lost)
	case all:
		return &pb.TransactionResult{Verdict: pb.Verdict_VERDICT_APPROVE}
	}
	return nil
}

func (r *request) rejectedResult(lost []*pb.ViewParty) *pb.TransactionResult {
	reason := fmt.Sprintf("view %d: party %s cannot reach threshold %d", lost[0].ViewPosition, lost[0].Party, lost[0].Threshold)
	for _, rj := range r.rejections {
		if rj.ViewPosition == lost[0].ViewPosition && rj.Party == lost[0].Party {
			reason += fmt.Sprintf("; %s rejected (%s): %s", rj.Participant, rj.Code, rj.Reason)
		}
	}
	return &pb.TransactionResult{
		Verdict: pb.Verdict_VERDICT_REJECT, RejectCode: pb.RejectCode_REJECT_CODE_PARTICIPANT_REJECTED,
		RejectReason: reason, Rejections: slices.Clone(r.rejections), Parties: lost,
	}
}

// timeoutResult rejects the request naming the parties below their thresholds.
func (r *request) timeoutResult() *pb.TransactionResult {
	var missing []*pb.ViewParty
	for _, v := range r.views {
		for _, t := range v.parties {
			if !t.reached() {
				missing = append(missing, t.viewParty(v.position))
			}
		}
	}
	return &pb.TransactionResult{
		Verdict: pb.Verdict_VERDICT_REJECT, RejectCode: pb.RejectCode_REJECT_CODE_TIMEOUT,
		RejectReason: fmt.Sprintf("decision time %d passed with %d parties below their threshold", r.decision, len(missing)),
		Parties:      missing,
	}
}

// malformedResult rejects a request that failed a check before aggregation.
func malformedResult(err error) *pb.TransactionResult {
	code := pb.RejectCode_REJECT_CODE_MALFORMED_REQUEST
	var re *RequestError
	if errors.As(err, &re) {
		code = re.Code
	}
	return &pb.TransactionResult{Verdict: pb.Verdict_VERDICT_REJECT, RejectCode: code, RejectReason: err.Error()}
}

// record appends an audit record stamped with the current event's timestamp.
func (c *Core) record(rec *pb.Record) {
	rec.EventMicros = c.last
	c.ready.Records = append(c.ready.Records, rec)
}
