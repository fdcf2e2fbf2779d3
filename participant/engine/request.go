package engine

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/mediator"
	"github.com/cometsync/cometsync/participant/protocol"
	mediatorpb "github.com/cometsync/cometsync/proto/mediatorpb"
	protocolpb "github.com/cometsync/cometsync/proto/protocolpb"
	seqpb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// ResponseMessageID is the message id of the response to the request sequenced at ts.
func ResponseMessageID(ts int64) string { return "cr-" + strconv.FormatInt(ts, 10) }

// handleRequest validates the views of the request sequenced at ts, locks what they
// consume when all is well, and answers the mediator for the hosted confirming parties.
func (e *Engine) handleRequest(ts int64, in incoming) error {
	root, err := toHash(in.rootHashes[0])
	if err != nil {
		return nil // a malformed root hash message: nothing to confirm
	}
	hosting := e.cfg.Hosting(ts)
	req := &request{root: root, approved: true}
	views, reason := e.validate(ts, root, hosting, in.views)
	req.consumed, req.created = consumedBy(views), createdBy(views)
	if reason == "" {
		reason = e.consistency(req.consumed, views, hosting)
	}
	if reason == "" {
		for _, id := range req.consumed {
			e.locks[id] = ts
		}
		req.locked = req.consumed
	} else {
		req.approved = false
	}
	e.pending[ts] = req
	e.ready.PendingAdded = append(e.ready.PendingAdded, req.persistent(ts))
	return e.respond(ts, req, e.confirming(views, hosting), reason)
}

// validate runs the protocol checks on every view; it returns the views it could
// decode and the first failure.
func (e *Engine) validate(ts int64, root protocol.Hash, hosting protocol.Hosting, opened []openedView) ([]*protocol.View, string) {
	v := protocol.Validator{Packages: e.cfg.Packages, Hosting: hosting, Known: e.acs, Tolerance: e.cfg.Tolerance}
	var views []*protocol.View
	reason := ""
	for _, ov := range opened {
		var rv *protocol.ReceivedView
		var err error
		switch {
		case !ov.hasCheck:
			rv, err = v.ValidateView(ov.plaintext, root, ov.recipients, time.UnixMicro(ts))
		case ov.rootErr != nil:
			err = ov.rootErr
		default:
			rv, err = v.ValidateChecked(ov.checked, ov.pure, ov.recipients)
		}
		if rv != nil && rv.View != nil {
			views = append(views, rv.View)
		}
		if err != nil && reason == "" {
			reason = err.Error()
		}
	}
	return views, reason
}

// consistency fails when a consumed contract is locked by a pending request or not
// active here although the participant hosts one of its stakeholders (it was archived:
// a double spend).
func (e *Engine) consistency(consumed []ledger.ContractID, views []*protocol.View, hosting protocol.Hosting) string {
	for _, id := range consumed {
		if by, ok := e.locks[id]; ok {
			return fmt.Sprintf("contract %s is locked by the pending request %d", id, by)
		}
		if _, active := e.acs[id]; active {
			continue
		}
		if c := inputOf(views, id); c != nil && e.hostsStakeholder(c, hosting) {
			return fmt.Sprintf("contract %s is not active", id)
		}
	}
	return ""
}

func inputOf(views []*protocol.View, id ledger.ContractID) *ledger.Contract {
	for _, v := range views {
		for _, c := range v.Participant.Inputs {
			if c.ID == id {
				return c
			}
		}
	}
	return nil
}

// consumedBy lists the contracts the views archive, sorted and distinct.
func consumedBy(views []*protocol.View) []ledger.ContractID {
	var out []ledger.ContractID
	for _, v := range views {
		tx := &ledger.Transaction{Roots: []*ledger.Node{v.Participant.Action}}
		out = append(out, tx.Effects().Archived...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// createdBy lists the contracts the views create, in view order, each once.
func createdBy(views []*protocol.View) []*ledger.Contract {
	var out []*ledger.Contract
	seen := map[ledger.ContractID]bool{}
	for _, v := range views {
		tx := &ledger.Transaction{Roots: []*ledger.Node{v.Participant.Action}}
		for _, c := range tx.Effects().Created {
			if !seen[c.ID] {
				seen[c.ID] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// respond sends one signed answer covering every view for the hosted confirming parties.
func (e *Engine) respond(ts int64, req *request, parties []string, reason string) error {
	if len(parties) == 0 {
		return nil // nothing this participant must confirm
	}
	resp := &mediatorpb.ConfirmationResponse{
		Sender: e.cfg.Participant, RequestIdMicros: ts, RootHash: req.root[:], AllViews: true,
		ConfirmingParties: parties, Verdict: mediatorpb.Verdict_VERDICT_APPROVE, SynchronizerId: e.cfg.SynchronizerID,
	}
	if !req.approved {
		resp.Verdict, resp.RejectReason = mediatorpb.Verdict_VERDICT_REJECT, reason
	}
	signed, err := mediator.SignResponse(e.cfg.SigningKey, resp)
	if err != nil {
		return err
	}
	e.ready.Sends = append(e.ready.Sends, Send{MessageID: ResponseMessageID(ts), RequestID: ts, RootHash: req.root, Signed: signed})
	return nil
}

// SealSend seals a send's response to the mediators of the group in force at its
// request's time and returns the batch to submit.
func (e *Engine) SealSend(s Send) (*seqpb.Batch, error) {
	mg := &seqpb.Recipient{Group: seqpb.GroupKind_GROUP_KIND_MEDIATOR_GROUP, GroupIndex: e.cfg.MediatorGroup}
	env, err := protocol.Seal(protocolpb.EncryptedPayload_KIND_CONFIRMATION_RESPONSE, s.RootHash, s.Signed, e.cfg.MediatorMembers(s.RequestID), e.cfg.Keys(s.RequestID), []*seqpb.Recipient{mg})
	if err != nil {
		return nil, fmt.Errorf("seal the response to the mediators: %w", err)
	}
	return &seqpb.Batch{Envelopes: []*seqpb.Envelope{env}}, nil
}

// confirming lists the confirming informees of the views hosted here, sorted.
func (e *Engine) confirming(views []*protocol.View, hosting protocol.Hosting) []string {
	var out []string
	for _, v := range views {
		for _, inf := range v.Common.Informees {
			if inf.Confirming && slices.Contains(hosting.Participants(string(inf.Party)), e.cfg.Participant) {
				out = append(out, string(inf.Party))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
