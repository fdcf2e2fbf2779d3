package participant_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/mediator"
	mediatord "github.com/cometsync/cometsync/mediator/daemon"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/engine"
	mediatorpb "github.com/cometsync/cometsync/proto/mediatorpb"
	protocolpb "github.com/cometsync/cometsync/proto/protocolpb"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/protocol"
	"github.com/cometsync/cometsync/topology"
)

// Attacks of a dishonest participant (mallory) on verdicts and confirmations: a forged
// verdict, confirmations for parties it does not host, replayed confirmations and a
// duplicated request. Each checks the specific reason the attack is stopped for, that
// nothing was committed that should not be, and ends with the harness's settle.

// A forged verdict: the real mediator is stopped, so no genuine verdict can come, and
// mallory approves its own request with a verdict it signed itself, once naming itself
// as the mediator and once naming the real mediator. traderp (Alice's participant, an
// informee) ignores both for the specific reason and the request times out there.
func TestMaliciousForgedVerdict(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newByzWorld(t, ctx)
	w.med.Stop()
	cases := []struct {
		name, mediator, reason string
		before                 float64
		id                     int64
	}{
		{name: "signed as itself", mediator: w.malID, reason: engine.IgnoredNotActiveMediator},
		{name: "naming the real mediator", mediator: w.net.Member("mediator").ID, reason: engine.IgnoredSenderMismatch},
	}
	// Both attacks run at once (each waits for a timeout on sequencer time).
	for i := range cases {
		tc := &cases[i]
		tc.before = ignored(w.traderNode, tc.reason)
		r := w.prepare(w.proposal(w.mallory, w.alice, fmt.Sprint(100+i)), ledger.ContractMap{}, w.malID)
		tc.id = w.sendRaw(w.batch(r))
		root := r.prepared.RootHash()
		res := &mediatorpb.TransactionResult{
			RequestIdMicros: tc.id, RootHash: root[:], Verdict: mediatorpb.Verdict_VERDICT_APPROVE,
			SynchronizerId: w.mal.SynchronizerID(), Mediator: tc.mediator, DecidedAtMicros: tc.id,
		}
		signed, err := protocol.SignResult(w.net.Member("mallory").Key, res)
		if err != nil {
			t.Fatal(err)
		}
		body, err := signed.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		env, err := mediator.SealResult(mediator.Result{Recipients: []string{w.malID, w.net.Member("traderp").ID}, Result: res},
			body, topology.EncryptionKeysOf{Snapshot: w.topo.Head()})
		if err != nil {
			t.Fatal(err)
		}
		w.sendRaw(&pb.Batch{Envelopes: []*pb.Envelope{env}})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The timeout comes after the forged verdict on traderp's stream: by then
			// traderp has handled (and ignored) it.
			w.timedOut(tc.id, w.traderNode)
			if got := ignored(w.traderNode, tc.reason); got != tc.before+1 {
				t.Fatalf("traderp ignored %v results for %s, want %v", got, tc.reason, tc.before+1)
			}
			for _, u := range w.traderNode.Updates() {
				if u.RequestID == tc.id {
					t.Fatalf("traderp committed the forged request: %+v", u)
				}
			}
		})
	}
	if n := countTemplate(w.traderNode.ACS(), "IouProposal"); n != 0 {
		t.Fatalf("traderp holds %d proposals that no mediator approved", n)
	}
	if err := w.awaitUnlocked(ctx, w.traderNode); err != nil {
		t.Fatal(err)
	}
	w.startMediator() // a new process, rebuilt from its stream
	w.settle()
}

// A participant confirms for a party it does not host: Bank proposes an IOU to Mallory,
// bankp goes down, and mallory accepts the proposal with a request of its own followed
// by an approving confirmation claiming to answer for Bank. Only that forged
// confirmation could make the mediator approve: it ignores it (the sender does not host
// Bank) and rejects the request at its decision time; no IOU exists anywhere.
func TestMaliciousConfirmsForUnhostedParty(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newByzWorld(t, ctx)
	tap := bvStartTappedMediator(w)
	if _, err := w.bankNode.Submit(ctx, w.proposal(w.bank, w.mallory, "20")); err != nil {
		t.Fatalf("bank's proposal: %v", err)
	}
	var prop ledger.ContractID
	waitACS(t, ctx, w.malNode, func(acs ledger.ContractMap) bool {
		prop = bvFind(acs, "IouProposal", "owner", w.mallory)
		return prop != ""
	})
	w.bankNode.Stop()

	r := w.prepare(ledger.ExerciseCommand([]ledger.Party{w.mallory}, w.tid(), prop, "Accept", ledger.Record{}), w.malNode.ACS(), w.malID)
	id := w.sendRaw(w.batch(r))
	root := r.prepared.RootHash()
	w.sendRaw(bvResponseBatch(w, root, bvSignResponse(w, &mediatorpb.ConfirmationResponse{
		Sender: w.malID, RequestIdMicros: id, RootHash: root[:], AllViews: true,
		ConfirmingParties: []string{string(w.bank)}, Verdict: mediatorpb.Verdict_VERDICT_APPROVE, SynchronizerId: w.mal.SynchronizerID(),
	})))

	// mallory's own node is the other confirming participant: it sees the rejection.
	w.rejectedWith(id, "decision time", w.malNode)
	// The mediator logged why the confirmation did not count before it decided.
	tap.await(t, ctx, "the forged confirmation ignored as not hosted", func(r bvRecord) bool {
		return r.msg == "response ignored" && r.request() == id && r.attrs["sender"] == w.malID &&
			r.attrs["party"] == string(w.bank) && r.is(mediator.ErrNotHosted)
	})
	v := tap.await(t, ctx, "the mediator's verdict", func(r bvRecord) bool { return r.msg == "verdict" && r.request() == id })
	if v.attrs["verdict"] != mediatorpb.Verdict_VERDICT_REJECT || v.attrs["code"] != mediatorpb.RejectCode_REJECT_CODE_TIMEOUT {
		t.Fatalf("mediator's verdict on %d: %v, want a timeout rejection", id, v.attrs)
	}

	w.bankNode = w.startNode("bankp", nil) // rebuilt from the chain
	w.rejectedWith(id, "decision time", w.bankNode)
	for name, n := range map[string]*participant.Node{"bankp": w.bankNode, "mallory": w.malNode, "traderp": w.traderNode} {
		if k := countTemplate(n.ACS(), "Iou"); k != 0 {
			t.Fatalf("%s holds %d IOUs", name, k)
		}
	}
	if _, ok := w.bankNode.ACS()[prop]; !ok {
		t.Fatal("the proposal is no longer active at bankp")
	}
	// The proposal involves Mallory: mallory rejects it honestly, so that the honest
	// participants hold the same contracts again.
	if _, err := w.malNode.Submit(ctx, ledger.ExerciseCommand([]ledger.Party{w.mallory}, w.tid(), prop, "Reject", ledger.Record{})); err != nil {
		t.Fatalf("mallory's honest rejection of the proposal: %v", err)
	}
	waitACS(t, ctx, w.bankNode, func(acs ledger.ContractMap) bool { _, ok := acs[prop]; return !ok })
	w.settle()
}

// Replayed confirmations: mallory's node is down, so mallory's raw client is the only
// one answering for Mallory. Mallory approves its request A (a proposal to Alice,
// which commits), then, while its request B is pending, sends A's signed approval
// again (A is decided: ignored) and A's approval re-targeted at B with A's signature
// (ignored: the signature does not verify); then it rejects B. B is rejected with
// mallory's reason (had a replay counted, B would have been approved), and A's outcome
// is unchanged.
func TestMaliciousReplaysConfirmation(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newByzWorld(t, ctx)
	tap := bvStartTappedMediator(w)
	w.malNode.Stop()
	respond := func(id int64, root protocol.Hash, v mediatorpb.Verdict, reason string) *mediatorpb.ConfirmationResponse {
		resp := &mediatorpb.ConfirmationResponse{
			Sender: w.malID, RequestIdMicros: id, RootHash: root[:], AllViews: true,
			ConfirmingParties: []string{string(w.mallory)}, Verdict: v, SynchronizerId: w.mal.SynchronizerID(),
		}
		if v == mediatorpb.Verdict_VERDICT_REJECT {
			resp.RejectCode, resp.RejectReason = mediatorpb.LocalRejectCode_LOCAL_REJECT_CODE_OTHER, reason
		}
		return resp
	}

	ra := w.prepare(w.proposal(w.mallory, w.alice, "30"), ledger.ContractMap{}, w.malID)
	idA := w.sendRaw(w.batch(ra))
	rootA := ra.prepared.RootHash()
	signedA := bvSignResponse(w, respond(idA, rootA, mediatorpb.Verdict_VERDICT_APPROVE, ""))
	w.sendRaw(bvResponseBatch(w, rootA, signedA))
	if c := w.outcome(w.traderNode, idA); !c.Committed {
		t.Fatalf("request A: %+v, want committed", c)
	}
	propA := bvFind(w.traderNode.ACS(), "IouProposal", "issuer", w.mallory)
	if propA == "" {
		t.Fatal("traderp does not hold A's proposal")
	}

	rb := w.prepare(w.proposal(w.mallory, w.alice, "31"), ledger.ContractMap{}, w.malID)
	idB := w.sendRaw(w.batch(rb))
	rootB := rb.prepared.RootHash()
	// A's approval, the same bytes sealed again.
	w.sendRaw(bvResponseBatch(w, rootB, signedA))
	// A's approval re-targeted at B, with A's signature.
	var s mediatorpb.SignedConfirmationResponse
	if err := s.Unmarshal(signedA); err != nil {
		t.Fatal(err)
	}
	body, err := respond(idB, rootB, mediatorpb.Verdict_VERDICT_APPROVE, "").Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s.Response = body
	retargeted, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	w.sendRaw(bvResponseBatch(w, rootB, retargeted))
	// B's genuine answer.
	w.sendRaw(bvResponseBatch(w, rootB, bvSignResponse(w, respond(idB, rootB, mediatorpb.Verdict_VERDICT_REJECT, "mallory declines B"))))

	w.rejectedWith(idB, "mallory declines B", w.traderNode)
	// The mediator logged why the replays did not count before it decided B.
	tap.await(t, ctx, "A's replayed approval ignored", func(r bvRecord) bool {
		return r.msg == "response ignored" && r.request() == idA && r.attrs["sender"] == w.malID && r.is(mediator.ErrAlreadyDecided)
	})
	tap.await(t, ctx, "the re-targeted approval ignored", func(r bvRecord) bool {
		return r.msg == "response ignored" && r.attrs["sender"] == w.malID && r.is(mediator.ErrBadSignature)
	})
	if c := w.outcome(w.traderNode, idA); !c.Committed {
		t.Fatalf("request A after the replay: %+v, want committed", c)
	}
	acs := w.traderNode.ACS()
	if _, ok := acs[propA]; !ok || countTemplate(acs, "IouProposal") != 1 {
		t.Fatalf("traderp's proposals after the replay: %d (A's active: %t), want only A's", countTemplate(acs, "IouProposal"), ok)
	}

	// Mallory's node back (rebuilt from the chain); Alice rejects A's proposal so that
	// the honest participants hold the same contracts again.
	w.malNode = w.startNode("mallory", nil)
	if _, err := w.traderNode.Submit(ctx, ledger.ExerciseCommand([]ledger.Party{w.alice}, w.tid(), propA, "Reject", ledger.Record{})); err != nil {
		t.Fatalf("alice's rejection of A's proposal: %v", err)
	}
	w.settle()
}

// A duplicated request: mallory sends the very same confirmation request (its
// acceptance of Bank's proposal) twice, under different message ids, so that both are
// sequenced. The first commits; the second is rejected at the honest bankp as a
// duplicate (its root hash was used before); exactly one IOU results.
func TestMaliciousDuplicateRequest(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newByzWorld(t, ctx)
	if _, err := w.bankNode.Submit(ctx, w.proposal(w.bank, w.mallory, "40")); err != nil {
		t.Fatalf("bank's proposal: %v", err)
	}
	var prop ledger.ContractID
	waitACS(t, ctx, w.malNode, func(acs ledger.ContractMap) bool {
		prop = bvFind(acs, "IouProposal", "owner", w.mallory)
		return prop != ""
	})
	r := w.prepare(ledger.ExerciseCommand([]ledger.Party{w.mallory}, w.tid(), prop, "Accept", ledger.Record{}), w.malNode.ACS(), w.malID)
	b := w.batch(r)
	first := w.sendRaw(b)
	second := w.sendRaw(b)
	if first == second {
		t.Fatalf("both copies sequenced at %d", first)
	}
	for name, n := range map[string]*participant.Node{"bankp": w.bankNode, "mallory": w.malNode} {
		if c := w.outcome(n, first); !c.Committed {
			t.Fatalf("%s: the first copy %+v, want committed", name, c)
		}
		c := w.outcome(n, second)
		if c.Committed || c.TimedOut || !strings.Contains(c.Reason, engine.ReasonDuplicateRequest) {
			t.Fatalf("%s: the second copy %+v, want rejected as a duplicate request", name, c)
		}
	}
	iouT := ledger.TemplateID{Package: w.pkg.ID, Name: "Iou"}
	var iou ledger.ContractID
	for name, n := range map[string]*participant.Node{"bankp": w.bankNode, "mallory": w.malNode} {
		acs := n.ACS()
		if k := countTemplate(acs, "Iou"); k != 1 {
			t.Fatalf("%s holds %d IOUs, want 1", name, k)
		}
		if _, ok := acs[prop]; ok {
			t.Fatalf("%s still holds the accepted proposal", name)
		}
		iou = bvFind(acs, "Iou", "owner", w.mallory)
	}
	if countTemplate(w.traderNode.ACS(), "Iou") != 0 {
		t.Fatal("traderp holds an IOU it is no stakeholder of")
	}

	// Clean up honestly, so that the honest participants hold the same contracts again:
	// mallory offers the IOU to Bank, Bank accepts and archives what it then owes itself.
	if _, err := w.malNode.Submit(ctx, ledger.ExerciseCommand([]ledger.Party{w.mallory}, iouT, iou, "ProposeTransfer",
		ledger.Record{"newOwner": ledger.PartyValue(w.bank)})); err != nil {
		t.Fatalf("mallory's transfer proposal: %v", err)
	}
	var tp ledger.ContractID
	waitACS(t, ctx, w.bankNode, func(acs ledger.ContractMap) bool {
		tp = bvFind(acs, "IouTransferProposal", "newOwner", w.bank)
		return tp != ""
	})
	if _, err := w.bankNode.Submit(ctx, ledger.ExerciseCommand([]ledger.Party{w.bank}, ledger.TemplateID{Package: w.pkg.ID, Name: "IouTransferProposal"}, tp, "Accept", ledger.Record{})); err != nil {
		t.Fatalf("bank's acceptance of the transfer: %v", err)
	}
	var own ledger.ContractID
	waitACS(t, ctx, w.bankNode, func(acs ledger.ContractMap) bool { own = bvFind(acs, "Iou", "owner", w.bank); return own != "" })
	if _, err := w.bankNode.Submit(ctx, ledger.ExerciseCommand([]ledger.Party{w.bank}, iouT, own, "Archive", ledger.Record{})); err != nil {
		t.Fatalf("bank archives its own IOU: %v", err)
	}
	w.settle()
}

// bvFind returns the id of an active contract of the template whose field is party, or "".
func bvFind(acs ledger.ContractMap, template, field string, party ledger.Party) ledger.ContractID {
	for id, c := range acs {
		if c.Template.Name == template && c.Arguments[field] == ledger.PartyValue(party) {
			return id
		}
	}
	return ""
}

// bvSignResponse signs resp with mallory's signing key.
func bvSignResponse(w *byzWorld, resp *mediatorpb.ConfirmationResponse) []byte {
	w.t.Helper()
	signed, err := protocol.SignResponse(w.net.Member("mallory").Key, resp)
	if err != nil {
		w.t.Fatal(err)
	}
	return signed
}

// bvResponseBatch seals a signed confirmation response to the mediator, addressed to
// mediator group 0, as a participant sends it.
func bvResponseBatch(w *byzWorld, root protocol.Hash, signed []byte) *pb.Batch {
	w.t.Helper()
	env, err := protocol.Seal(protocolpb.EncryptedPayload_KIND_CONFIRMATION_RESPONSE, root, signed, []string{w.net.Member("mediator").ID},
		topology.EncryptionKeysOf{Snapshot: w.topo.Head()}, []*pb.Recipient{{Group: pb.GroupKind_GROUP_KIND_MEDIATOR_GROUP, GroupIndex: 0}})
	if err != nil {
		w.t.Fatal(err)
	}
	return &pb.Batch{Envelopes: []*pb.Envelope{env}}
}

// bvStartTappedMediator replaces the world's mediator process with one (over the same
// stream and keys, rebuilt from the chain) whose log the test reads: the mediator logs
// every response it ignores with the reason, and every verdict.
func bvStartTappedMediator(w *byzWorld) *bvTap {
	w.t.Helper()
	w.med.Stop()
	tap := &bvTap{changed: make(chan struct{})}
	w.med = startMediator(w.t, w.ctx, mediatord.NodeConfig{
		Driver: driverConfig(w.net, w.net.Member("mediator")), EncryptionKey: w.medEnc, Logger: slog.New(&bvHandler{tap: tap}),
	})
	return tap
}

// bvRecord is one log record of the mediator.
type bvRecord struct {
	msg   string
	attrs map[string]any
}

func (r bvRecord) request() int64 { id, _ := r.attrs["request"].(int64); return id }

func (r bvRecord) is(target error) bool {
	err, ok := r.attrs["reason"].(error)
	return ok && errors.Is(err, target)
}

// bvTap collects log records and lets a test wait for one.
type bvTap struct {
	mu      sync.Mutex
	recs    []bvRecord
	changed chan struct{}
}

func (t *bvTap) add(r bvRecord) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.recs = append(t.recs, r)
	close(t.changed)
	t.changed = make(chan struct{})
}

// await waits for a record that match accepts and returns it.
func (t *bvTap) await(tt *testing.T, ctx context.Context, what string, match func(bvRecord) bool) bvRecord {
	tt.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for seen := 0; ; {
		t.mu.Lock()
		recs, ch := t.recs[seen:], t.changed
		seen = len(t.recs)
		t.mu.Unlock()
		for _, r := range recs {
			if match(r) {
				return r
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			tt.Fatalf("the mediator never logged %s", what)
		}
	}
}

// bvHandler is a slog.Handler that hands every record, at every level, to a tap.
type bvHandler struct {
	tap   *bvTap
	attrs []slog.Attr
}

func (h *bvHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *bvHandler) Handle(_ context.Context, r slog.Record) error {
	rec := bvRecord{msg: r.Message, attrs: map[string]any{}}
	for _, a := range h.attrs {
		rec.attrs[a.Key] = a.Value.Any()
	}
	r.Attrs(func(a slog.Attr) bool { rec.attrs[a.Key] = a.Value.Any(); return true })
	h.tap.add(rec)
	return nil
}

func (h *bvHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &bvHandler{tap: h.tap, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h *bvHandler) WithGroup(string) slog.Handler { return h }
