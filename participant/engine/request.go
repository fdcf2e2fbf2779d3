package engine

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
	mediatorpb "github.com/cometsync/cometsync/proto/mediatorpb"
	protocolpb "github.com/cometsync/cometsync/proto/protocolpb"
	seqpb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/protocol"
)

// Reason codes that start a confirming participant's rejection reason, for the checks a
// dishonest submitter trips (the other reasons are the validation errors' texts).
const (
	// ReasonInvalidEncryption: a view addressed to this participant does not open.
	ReasonInvalidEncryption = "invalid_encryption"
	// ReasonInvalidEncryptionFor: the seed sealed to a co-recipient of a view is not
	// what the view seed determines (followed by the co-recipient's id).
	ReasonInvalidEncryptionFor = "invalid_encryption_for"
	// ReasonSubmitterNotAuthorized: the request was not sent by the submitting
	// participant of its metadata, or that participant does not host a submitter with
	// Submission permission.
	ReasonSubmitterNotAuthorized = "submitter_not_authorized"
	// ReasonDuplicateRequest: a request with the root hash of an earlier one.
	ReasonDuplicateRequest = "duplicate_request"
	// ReasonInvalidDisclosedContract: a disclosed input contract whose id does not derive
	// from its creating seed and its content (it was tampered with).
	ReasonInvalidDisclosedContract = "invalid_disclosed_contract"
)

// ResponseMessageID is the message id of the response to the request sequenced at ts.
func ResponseMessageID(ts int64) string { return "cr-" + strconv.FormatInt(ts, 10) }

// rejection is why a participant rejects a request.
type rejection struct {
	code   mediatorpb.LocalRejectCode
	reason string
}

// handleRequest validates the views of the request sequenced at ev, locks what they
// consume when all is well, and answers the mediator group for the hosted confirming
// parties.
func (e *Engine) handleRequest(ev *seqpb.SequencedEvent, in incoming) error {
	ts := ev.TimestampMicros
	root, err := toHash(in.rootHashes[0])
	if err != nil || in.groups[0] == noGroup {
		return nil // a malformed root hash message: nothing to confirm
	}
	params := e.cfg.Topology.Parameters(ts)
	hosting := e.cfg.Topology.Hosting(ts)
	req := &request{root: root, group: in.groups[0], deadline: params.Deadline(ts), approved: true}
	views, blind, sm, rej := e.validate(ev, root, hosting, params.LedgerTimeTolerance, in)
	if sm != nil && sm.SubmittingParticipant == e.cfg.Participant && ev.Sender == e.cfg.Participant && sm.CommandID != "" {
		req.command = &Command{UserID: sm.UserID, CommandID: sm.CommandID, ActAs: sm.Submitters}
	}
	req.consumed = consumedBy(views)
	req.created, req.seeds = createdBy(views)
	if first, seen := e.roots[root]; seen {
		// The same request sent again: committing it would create its contracts again
		// (their ids derive from the root hash), even after they were archived.
		rej = rejection{mediatorpb.LocalRejectCode_LOCAL_REJECT_CODE_CONSISTENCY,
			fmt.Sprintf("%s: root hash %s was already used by request %d", ReasonDuplicateRequest, root.Short(), first)}
	} else {
		e.roots[root] = ts
		e.ready.RootsAdded = append(e.ready.RootsAdded, SeenRoot{RootHash: root, RequestID: ts})
	}
	if rej.reason == "" {
		rej = e.consistency(req.consumed, views, hosting)
	}
	if rej.reason == "" {
		for _, id := range req.consumed {
			e.locks[id] = ts
		}
		req.locked = req.consumed
	} else {
		req.approved = false
	}
	e.addPending(ts, req)
	parties := e.confirming(ts, views)
	if len(in.unopened) > 0 || blind {
		// The participant cannot tell which of its parties the views it cannot open (or
		// decode, or match to the root hash) are about: it rejects for every party it may
		// confirm for; the mediator counts the rejection where the party is a confirming
		// informee and ignores the rest. (So the request is rejected at once instead of
		// timing out.)
		parties = e.allConfirming(ts, parties)
	}
	return e.respond(ts, req, parties, rej)
}

// validate runs the protocol checks on every view; it returns the views it could
// decode, whether some view could not be decoded or matched to the root hash (blind),
// and the first failure: the sender's authorization first, then the encryption of the
// views, then the views' own checks in order.
func (e *Engine) validate(ev *seqpb.SequencedEvent, root protocol.Hash, hosting protocol.Hosting, tolerance time.Duration, in incoming) (views []*protocol.View, blind bool, sm *protocol.SubmitterMetadata, rej rejection) {
	ts := ev.TimestampMicros
	v := protocol.Validator{Packages: e.cfg.Packages, Hosting: hosting, Known: e.acs, Tolerance: tolerance}
	var submitter rejection
	fail := func(r rejection) {
		if rej.reason == "" {
			rej = r
		}
	}
	if len(in.unopened) > 0 {
		fail(rejection{mediatorpb.LocalRejectCode_LOCAL_REJECT_CODE_INVALID_ENCRYPTION, ReasonInvalidEncryption + ": " + in.unopened[0]})
	}
	keyAt := func(member string, fp crypto.Fingerprint) (crypto.EncryptionPublicKey, bool) {
		return e.cfg.Topology.EncryptionKey(ts, member, fp)
	}
	for _, ov := range in.views {
		var rv *protocol.ReceivedView
		var err error
		switch {
		case !ov.hasCheck:
			rv, err = v.ValidateView(ov.plaintext, root, ov.recipients, time.UnixMicro(ts))
		case ov.rootErr != nil:
			err = ov.rootErr
		default:
			rv, err = v.ValidateChecked(ov.checked, ov.pure, ov.recipients, time.UnixMicro(ts))
		}
		if rv != nil && rv.Tree != nil && rv.Tree.Submitter != nil {
			sm = rv.Tree.Submitter
		}
		if rv != nil {
			if r := e.checkSubmitter(ev, rv); r.reason != "" && submitter.reason == "" {
				submitter = r
			}
			if rv.Tree != nil && rv.Tree.CommonMetadata.MediatorGroup != in.groups[0] {
				fail(rejection{mediatorpb.LocalRejectCode_LOCAL_REJECT_CODE_MALFORMED, fmt.Sprintf(
					"%v: the request is addressed to mediator group %d, its metadata names group %d", protocol.ErrMetadataMismatch, in.groups[0], rv.Tree.CommonMetadata.MediatorGroup)})
			}
		}
		if rv != nil && rv.View != nil {
			views = append(views, rv.View)
			// Every co-recipient's seed must be what the view seed determines: a submitter
			// that sealed a wrong seed to one recipient is caught by the others.
			recompute := func(r string) bool { return !e.decisive(ts, r, rv.View) }
			if err := protocol.VerifySeedsFor(ov.opened, ov.recipients, recompute, keyAt); err != nil {
				fail(rejection{mediatorpb.LocalRejectCode_LOCAL_REJECT_CODE_INVALID_ENCRYPTION, err.Error()})
			}
		} else {
			blind = true
		}
		switch {
		case errors.Is(err, ledger.ErrContractIDMismatch):
			fail(rejection{localCode(err), ReasonInvalidDisclosedContract + ": " + err.Error()})
		case err != nil:
			fail(rejection{localCode(err), err.Error()})
		}
	}
	if submitter.reason != "" {
		rej = submitter // the sender's authorization comes first
	}
	return views, blind, sm, rej
}

// checkSubmitter checks, on a view that shows the submitter metadata (a root view), that
// the request's sender as the sequencer attests it is the submitting participant the
// metadata names, and that this participant hosts every submitter with Submission
// permission at the request's time. (Views deeper in the tree do not show the metadata;
// the mediator, which sees it, checks the same for every request.)
func (e *Engine) checkSubmitter(ev *seqpb.SequencedEvent, rv *protocol.ReceivedView) rejection {
	if rv.Tree == nil || rv.Tree.Submitter == nil {
		return rejection{}
	}
	sm := rv.Tree.Submitter
	code := mediatorpb.LocalRejectCode_LOCAL_REJECT_CODE_SUBMITTER_NOT_AUTHORIZED
	if ev.Sender != sm.SubmittingParticipant {
		return rejection{code, fmt.Sprintf("%s: the request was sent by %q, its metadata names the submitting participant %s",
			ReasonSubmitterNotAuthorized, ev.Sender, sm.SubmittingParticipant)}
	}
	if err := SubmissionAllowed(e.cfg.Topology, ev.TimestampMicros, sm.SubmittingParticipant, sm.Submitters); err != nil {
		return rejection{code, ReasonSubmitterNotAuthorized + ": " + err.Error()}
	}
	return rejection{}
}

// ErrNotAuthorizedToSubmit is returned when a participant does not host a submitting
// party with Submission permission.
var ErrNotAuthorizedToSubmit = errors.New("participant may not submit for the party")

// SubmissionAllowed returns nil when participant hosts every party of submitters with
// Submission permission at time at. The submitting participant checks it before it
// sends; every confirming participant and the mediator check it again.
func SubmissionAllowed(t Topology, at int64, participant string, submitters ledger.PartySet) error {
	for _, p := range submitters {
		perm, ok := t.Permission(at, string(p), participant)
		switch {
		case !ok:
			return fmt.Errorf("%w: %s does not host %s", ErrNotAuthorizedToSubmit, participant, p)
		case perm != topopb.ParticipantPermission_PARTICIPANT_PERMISSION_SUBMISSION:
			return fmt.Errorf("%w: %s hosts %s with %s permission, not submission", ErrNotAuthorizedToSubmit, participant, p,
				strings.ToLower(strings.TrimPrefix(perm.String(), "PARTICIPANT_PERMISSION_")))
		}
	}
	return nil
}

// localCode classifies a validation failure for the mediator.
func localCode(err error) mediatorpb.LocalRejectCode {
	switch {
	case errors.Is(err, protocol.ErrRootHashMismatch):
		return mediatorpb.LocalRejectCode_LOCAL_REJECT_CODE_ROOT_HASH
	case errors.Is(err, protocol.ErrMissingRecipient), errors.Is(err, protocol.ErrUnhostedParty):
		return mediatorpb.LocalRejectCode_LOCAL_REJECT_CODE_MISSING_RECIPIENT
	case errors.Is(err, protocol.ErrLedgerTime):
		return mediatorpb.LocalRejectCode_LOCAL_REJECT_CODE_LEDGER_TIME
	case errors.Is(err, ledger.ErrAuthorization):
		return mediatorpb.LocalRejectCode_LOCAL_REJECT_CODE_AUTHORIZATION
	case errors.Is(err, protocol.ErrConformance), errors.Is(err, protocol.ErrWrongInformees),
		errors.Is(err, protocol.ErrSubViewMismatch), errors.Is(err, protocol.ErrMetadataMismatch):
		return mediatorpb.LocalRejectCode_LOCAL_REJECT_CODE_CONFORMANCE
	case errors.Is(err, protocol.ErrMalformedTree):
		return mediatorpb.LocalRejectCode_LOCAL_REJECT_CODE_MALFORMED
	}
	return mediatorpb.LocalRejectCode_LOCAL_REJECT_CODE_OTHER
}

// consistency fails when a consumed contract is locked by a pending request or not
// active here although the participant hosts one of its stakeholders (it was archived:
// a double spend), and when a disclosed input is not active here although the
// participant hosts one of its stakeholders (the submitter, not a stakeholder, cannot
// know it was archived).
func (e *Engine) consistency(consumed []ledger.ContractID, views []*protocol.View, hosting protocol.Hosting) rejection {
	code := mediatorpb.LocalRejectCode_LOCAL_REJECT_CODE_CONSISTENCY
	for _, id := range disclosedIn(views) {
		if _, active := e.acs[id]; active {
			continue
		}
		if c := inputOf(views, id); c != nil && e.hostsStakeholder(c, hosting) {
			return rejection{code, fmt.Sprintf("disclosed contract %s is not active", id)}
		}
	}
	for _, id := range consumed {
		if by, ok := e.locks[id]; ok {
			return rejection{code, fmt.Sprintf("contract %s is locked by the pending request %d", id, by)}
		}
		if _, active := e.acs[id]; active {
			continue
		}
		if c := inputOf(views, id); c != nil && e.hostsStakeholder(c, hosting) {
			return rejection{code, fmt.Sprintf("contract %s is not active", id)}
		}
	}
	return rejection{}
}

// disclosedIn lists the disclosed inputs of the views (those with a creating seed),
// sorted and distinct.
func disclosedIn(views []*protocol.View) []ledger.ContractID {
	var out []ledger.ContractID
	for _, v := range views {
		for id := range v.Participant.InputSeeds {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
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

// createdBy lists the contracts the views create, in view order, each once, with the
// seeds of their create nodes (their authenticity proofs, for created-event blobs).
func createdBy(views []*protocol.View) ([]*ledger.Contract, map[ledger.ContractID]ledger.Seed) {
	var out []*ledger.Contract
	seeds := map[ledger.ContractID]ledger.Seed{}
	seen := map[ledger.ContractID]bool{}
	for _, v := range views {
		tx := &ledger.Transaction{Roots: []*ledger.Node{v.Participant.Action}}
		_ = tx.Walk(func(_ ledger.NodePath, n *ledger.Node) error {
			if n.Kind == ledger.NodeCreate {
				seeds[n.ContractID] = n.Seed
			}
			return nil
		})
		for _, c := range tx.Effects().Created {
			if !seen[c.ID] {
				seen[c.ID] = true
				out = append(out, c)
			}
		}
	}
	return out, seeds
}

// respond sends one signed answer covering every view for the hosted confirming parties.
func (e *Engine) respond(ts int64, req *request, parties []string, rej rejection) error {
	if len(parties) == 0 {
		return nil // nothing this participant must confirm
	}
	resp := &mediatorpb.ConfirmationResponse{
		Sender: e.cfg.Participant, RequestIdMicros: ts, RootHash: req.root[:], AllViews: true,
		ConfirmingParties: parties, Verdict: mediatorpb.Verdict_VERDICT_APPROVE, SynchronizerId: e.cfg.SynchronizerID,
	}
	if !req.approved {
		resp.Verdict, resp.RejectCode, resp.RejectReason = mediatorpb.Verdict_VERDICT_REJECT, rej.code, rej.reason
	}
	signed, err := protocol.SignResponse(e.cfg.SigningKey, resp)
	if err != nil {
		return err
	}
	e.ready.Sends = append(e.ready.Sends, Send{MessageID: ResponseMessageID(ts), RequestID: ts, RootHash: req.root, MediatorGroup: req.group, Signed: signed})
	return nil
}

// SealSend seals a send's response to the active mediators of its request's group in
// force at the request's time and returns the batch to submit.
func (e *Engine) SealSend(s Send) (*seqpb.Batch, error) {
	mg := &seqpb.Recipient{Group: seqpb.GroupKind_GROUP_KIND_MEDIATOR_GROUP, GroupIndex: s.MediatorGroup}
	active, _, ok := e.cfg.Topology.MediatorGroup(s.RequestID, s.MediatorGroup)
	if !ok || len(active) == 0 {
		return nil, fmt.Errorf("seal the response to request %d: mediator group %d has no active mediator", s.RequestID, s.MediatorGroup)
	}
	env, err := protocol.Seal(protocolpb.EncryptedPayload_KIND_CONFIRMATION_RESPONSE, s.RootHash, s.Signed, active, e.cfg.Topology.EncryptionKeys(s.RequestID), []*seqpb.Recipient{mg})
	if err != nil {
		return nil, fmt.Errorf("seal the response to the mediators: %w", err)
	}
	return &seqpb.Batch{Envelopes: []*seqpb.Envelope{env}}, nil
}

// mayConfirm reports whether a permission lets a participant confirm for a party.
func mayConfirm(p topopb.ParticipantPermission) bool {
	return p == topopb.ParticipantPermission_PARTICIPANT_PERMISSION_SUBMISSION ||
		p == topopb.ParticipantPermission_PARTICIPANT_PERMISSION_CONFIRMATION
}

// confirming lists the confirming informees of the views that this participant hosts
// with a permission to confirm at the request's time, sorted.
func (e *Engine) confirming(ts int64, views []*protocol.View) []string {
	var out []string
	for _, v := range views {
		for _, inf := range v.Common.Informees {
			if !inf.Confirming {
				continue
			}
			if perm, ok := e.cfg.Topology.Permission(ts, string(inf.Party), e.cfg.Participant); ok && mayConfirm(perm) {
				out = append(out, string(inf.Party))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// allConfirming adds to parties every party this participant may confirm for at ts.
func (e *Engine) allConfirming(ts int64, parties []string) []string {
	for _, hp := range e.cfg.Topology.HostedParties(ts, e.cfg.Participant) {
		if mayConfirm(hp.Permission) {
			parties = append(parties, hp.Party)
		}
	}
	slices.Sort(parties)
	return slices.Compact(parties)
}

// decisive reports whether participant r's rejection of view alone rejects the request:
// r may confirm for a confirming informee of the view whose every confirming host must
// approve (threshold = number of confirming hosts). A recipient that cannot open its
// seed rejects as invalid_encryption, so its co-recipients need not recompute the seed
// sealed to it; for the others (observers, and hosts of a party that others can
// outvote) they must.
func (e *Engine) decisive(ts int64, r string, view *protocol.View) bool {
	for _, inf := range view.Common.Informees {
		if !inf.Confirming {
			continue
		}
		hosts, threshold := e.cfg.Topology.ConfirmingHosts(ts, string(inf.Party))
		if slices.Contains(hosts, r) && threshold >= len(hosts) {
			return true
		}
	}
	return false
}
