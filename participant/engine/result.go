package engine

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/cometsync/cometsync/ledger"
	mediatorpb "github.com/cometsync/cometsync/proto/mediatorpb"
	seqpb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/protocol"
)

// Reasons a transaction result is ignored (Ignored.Reason). An ignored result never
// commits or discards a request.
const (
	// IgnoredMalformed: the result does not decode.
	IgnoredMalformed = "result_malformed"
	// IgnoredSenderMismatch: the sequencer attests another sender than the mediator
	// named in the result.
	IgnoredSenderMismatch = "result_sender_mismatch"
	// IgnoredNoPendingRequest: no request of this participant awaits a verdict at that
	// id (already decided, timed out, or never seen); expected for the verdicts of a
	// mediator group beyond its threshold.
	IgnoredNoPendingRequest = "result_no_pending_request"
	// IgnoredNotActiveMediator: the signer is not an active mediator of the request's
	// mediator group at the request's time.
	IgnoredNotActiveMediator = "result_signer_not_active_mediator"
	// IgnoredBadSignature: the signature does not verify with the mediator's keys.
	IgnoredBadSignature = "result_bad_signature"
	// IgnoredWrongRequest: the result names another root hash or synchronizer, or no
	// verdict.
	IgnoredWrongRequest = "result_wrong_request"
	// IgnoredDuplicate: the mediator already sent a verdict on the request.
	IgnoredDuplicate = "result_duplicate"
)

// request is a confirmation request awaiting its verdict.
type request struct {
	root     protocol.Hash
	group    uint32
	deadline int64               // last sequencing time a verdict counts at
	consumed []ledger.ContractID // what the views archive, sorted
	created  []*ledger.Contract  // what the views create, in view order
	// seeds are the creating seeds of created, by id.
	seeds    map[ledger.ContractID]ledger.Seed
	locked   []ledger.ContractID
	approved bool
	// votes are the verdicts received from the group's mediators so far (threshold > 1).
	votes map[string]mediatorpb.Verdict
	// command identifies the request's command, when this participant submitted it
	// with a command id (read back from its root view's submitter metadata).
	command *Command
}

func (e *Engine) addPending(ts int64, r *request) {
	e.pending[ts] = r
	if e.next == 0 || r.deadline < e.next {
		e.next = r.deadline
	}
	e.ready.PendingAdded = append(e.ready.PendingAdded, r.persistent(ts))
}

func (e *Engine) removePending(id int64) *request {
	r := e.pending[id]
	delete(e.pending, id)
	for _, cid := range r.locked {
		delete(e.locks, cid)
	}
	if r.deadline == e.next {
		e.next = 0 // recomputed when needed
	}
	e.ready.PendingRemoved = append(e.ready.PendingRemoved, id)
	return r
}

// handleResult counts a transaction result toward the request it is about. It counts
// only when the sequencer attests that the signing mediator sent it, the signer is an
// active mediator of the request's group at the request's time, and the signature
// verifies; the request is decided once threshold mediators of the group sent the same
// verdict. Anything else is recorded in Ready.Ignored and changes nothing.
func (e *Engine) handleResult(ev *seqpb.SequencedEvent, signed []byte) {
	ts := ev.TimestampMicros
	ignore := func(id int64, reason, format string, args ...any) {
		e.ready.Ignored = append(e.ready.Ignored, Ignored{At: ts, RequestID: id, Sender: ev.Sender, Reason: reason, Detail: fmt.Sprintf(format, args...)})
	}
	var s mediatorpb.SignedTransactionResult
	var claimed mediatorpb.TransactionResult
	if err := s.Unmarshal(signed); err != nil {
		ignore(0, IgnoredMalformed, "%v", err)
		return
	}
	if err := claimed.Unmarshal(s.Result); err != nil {
		ignore(0, IgnoredMalformed, "%v", err)
		return
	}
	id := claimed.RequestIdMicros
	if claimed.Mediator != ev.Sender {
		ignore(id, IgnoredSenderMismatch, "sent by %q, signed as %q", ev.Sender, claimed.Mediator)
		return
	}
	req := e.pending[id]
	if req == nil {
		ignore(id, IgnoredNoPendingRequest, "no pending request %d", id)
		return
	}
	active, threshold, ok := e.cfg.Topology.MediatorGroup(id, req.group)
	if !ok || !slices.Contains(active, claimed.Mediator) {
		ignore(id, IgnoredNotActiveMediator, "%s is not an active mediator of group %d at %d (active: %s)", claimed.Mediator, req.group, id, strings.Join(active, ", "))
		return
	}
	if _, err := protocol.VerifyResult(e.cfg.Topology, claimed.Mediator, ts, &s); err != nil {
		ignore(id, IgnoredBadSignature, "%v", err)
		return
	}
	switch {
	case !bytes.Equal(claimed.RootHash, req.root[:]):
		ignore(id, IgnoredWrongRequest, "root hash %x, the request's is %x", claimed.RootHash, req.root[:])
		return
	case e.cfg.SynchronizerID != "" && claimed.SynchronizerId != e.cfg.SynchronizerID:
		ignore(id, IgnoredWrongRequest, "synchronizer %q", claimed.SynchronizerId)
		return
	case claimed.Verdict != mediatorpb.Verdict_VERDICT_APPROVE && claimed.Verdict != mediatorpb.Verdict_VERDICT_REJECT:
		ignore(id, IgnoredWrongRequest, "no verdict (%v)", claimed.Verdict)
		return
	}
	if prev, dup := req.votes[claimed.Mediator]; dup {
		ignore(id, IgnoredDuplicate, "%s already sent %v", claimed.Mediator, prev)
		return
	}
	if req.votes == nil {
		req.votes = map[string]mediatorpb.Verdict{}
	}
	req.votes[claimed.Mediator] = claimed.Verdict
	same := 0
	for _, v := range req.votes {
		if v == claimed.Verdict {
			same++
		}
	}
	if same < max(threshold, 1) {
		// Not decided yet: the vote is part of the pending state (PendingAdded replaces
		// the request's record).
		e.ready.PendingAdded = append(e.ready.PendingAdded, req.persistent(id))
		return
	}
	e.removePending(id)
	committed := claimed.Verdict == mediatorpb.Verdict_VERDICT_APPROVE && req.approved
	c := Completion{RequestID: id, Committed: committed, Reason: claimed.RejectReason, Command: req.command}
	if claimed.Verdict == mediatorpb.Verdict_VERDICT_APPROVE && !req.approved {
		// The mediator approved what this participant rejected: it cannot commit what it
		// could not validate (it never locked the inputs).
		c.Reason = "approved by the mediator, rejected here"
	}
	if committed {
		e.commit(id, req)
		c.Offset = e.offset
	}
	e.ready.Completions = append(e.ready.Completions, c)
}

// timeOut discards every pending request whose deadline is before ts: no verdict can
// count for it any more (the mediators send theirs with the deadline as the max
// sequencing time). Requests time out in order of deadline, then id.
func (e *Engine) timeOut(ts int64) {
	if next, ok := e.NextDeadline(); !ok || next >= ts {
		return
	}
	type due struct{ id, at int64 }
	var expired []due
	for id, r := range e.pending {
		if r.deadline < ts {
			expired = append(expired, due{id, r.deadline})
		}
	}
	slices.SortFunc(expired, func(a, b due) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.id, b.id)) })
	for _, d := range expired {
		r := e.removePending(d.id)
		e.ready.Completions = append(e.ready.Completions, Completion{RequestID: d.id, TimedOut: true, Command: r.command,
			Reason: fmt.Sprintf("timed out: no verdict of mediator group %d by the deadline %d (sequencer time)", r.group, r.deadline)})
	}
	e.next = 0
}

// NextDeadline returns the earliest deadline of a pending request, and false when none
// is pending: once sequencer time passes it, the next event times the request out (the
// node asks for a time proof when no event comes). It is cached until a request with
// that deadline leaves.
func (e *Engine) NextDeadline() (int64, bool) {
	if len(e.pending) == 0 {
		return 0, false
	}
	if e.next == 0 {
		for _, r := range e.pending {
			if e.next == 0 || r.deadline < e.next {
				e.next = r.deadline
			}
		}
	}
	return e.next, true
}

// commit applies the views' effects: archive what they consume, add what they create
// for a stakeholder this participant hosts.
func (e *Engine) commit(id int64, req *request) {
	hosting := e.cfg.Topology.Hosting(id)
	e.offset++
	u := Update{Offset: e.offset, RequestID: id, RootHash: req.root}
	for _, cid := range req.consumed {
		if _, ok := e.acs[cid]; ok {
			delete(e.acs, cid)
			u.Archived = append(u.Archived, cid)
		}
	}
	for _, c := range req.created {
		if _, dup := e.acs[c.ID]; dup || !e.hostsStakeholder(c, hosting) {
			continue
		}
		e.acs[c.ID] = c
		u.Created = append(u.Created, c)
		if s, ok := req.seeds[c.ID]; ok {
			if u.Seeds == nil {
				u.Seeds = map[ledger.ContractID]ledger.Seed{}
			}
			u.Seeds[c.ID] = s
		}
	}
	slices.SortFunc(u.Created, func(a, b *ledger.Contract) int { return strings.Compare(string(a.ID), string(b.ID)) })
	e.ready.Updates = append(e.ready.Updates, u)
}

func (e *Engine) hostsStakeholder(c *ledger.Contract, hosting interface{ Participants(string) []string }) bool {
	for _, p := range c.Stakeholders() {
		if slices.Contains(hosting.Participants(string(p)), e.cfg.Participant) {
			return true
		}
	}
	return false
}
