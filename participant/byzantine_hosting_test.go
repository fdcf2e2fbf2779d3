package participant_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant"
	mediatorpb "github.com/cometsync/cometsync/proto/mediatorpb"
	protocolpb "github.com/cometsync/cometsync/proto/protocolpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/protocol"
	"github.com/cometsync/cometsync/topology"
)

// A participant whose hosting of a party was removed stops confirming for it from the
// change's effective time. Bank is hosted on bankp and traderp (threshold 2); then the
// bank's namespace removes traderp. Mallory, submitting with the old hosting, still
// sends traderp the views of its acceptance of Bank's proposal: traderp validates them
// but does not answer for Bank; bankp's confirmation alone (threshold 1 now) commits.
func TestRemovedHostStopsConfirming(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newByzWorld(t, ctx)
	bankp, traderp := w.net.Member("bankp"), w.net.Member("traderp")
	w.hostBank(2, 2, []crypto.SigningPrivateKey{bankp.Key, traderp.Key},
		topology.Host(w.memberOf("bankp"), topopb.ParticipantPermission_PARTICIPANT_PERMISSION_SUBMISSION),
		topology.Host(w.memberOf("traderp"), topopb.ParticipantPermission_PARTICIPANT_PERMISSION_CONFIRMATION))
	if _, err := w.bankNode.Submit(ctx, w.proposal(w.bank, w.mallory, "60")); err != nil {
		t.Fatalf("the proposal with both hosts confirming: %v", err)
	}
	var prop ledger.ContractID
	waitACS(t, ctx, w.malNode, func(acs ledger.ContractMap) bool {
		for id, c := range acs {
			if c.Template.Name == "IouProposal" {
				prop = id
			}
		}
		return prop != ""
	})
	stale := w.hostingMap() // Bank on both
	w.hostBank(3, 1, []crypto.SigningPrivateKey{bankp.Key}, topology.Host(w.memberOf("bankp"), topopb.ParticipantPermission_PARTICIPANT_PERMISSION_SUBMISSION))

	r := w.prepare(ledger.ExerciseCommand([]ledger.Party{w.mallory}, w.tid(), prop, "Accept", ledger.Record{}), w.malNode.ACS(), w.malID)
	var err error
	if r.plan, err = protocol.Recipients(r.prepared, stale); err != nil {
		t.Fatal(err)
	}
	id := w.sendRaw(w.batch(r))
	for _, n := range []*participant.Node{w.bankNode, w.traderNode} {
		if c := w.outcome(n, id); !c.Committed {
			t.Fatalf("the acceptance: %+v, want committed on bankp's confirmation alone", c)
		}
	}
	if err := w.traderNode.WaitProgress(ctx, func(p participant.Progress) bool { return p.Outbox == 0 }); err != nil {
		t.Fatal(err)
	}
	for _, resp := range responsesTo(t, w, id) {
		if resp.Sender == traderp.ID && slices.Contains(resp.ConfirmingParties, string(w.bank)) {
			t.Fatalf("traderp confirmed for Bank after its hosting was removed: %+v", resp)
		}
	}
	if countTemplate(w.bankNode.ACS(), "Iou") != 1 || countTemplate(w.traderNode.ACS(), "Iou") != 0 {
		t.Fatalf("IOUs: bankp %d, traderp %d (want 1 and 0)", countTemplate(w.bankNode.ACS(), "Iou"), countTemplate(w.traderNode.ACS(), "Iou"))
	}
}

// responsesTo returns every confirmation response to request id the mediator received,
// opened with the mediator's key from the validator's store.
func responsesTo(t *testing.T, w *byzWorld, id int64) []*mediatorpb.ConfirmationResponse {
	t.Helper()
	r, release := w.net.Node(0).Snapshot()
	defer release()
	med := w.net.Member("mediator").ID
	evs, err := readAll(r, med)
	if err != nil {
		t.Fatal(err)
	}
	key := func(crypto.Fingerprint) (crypto.EncryptionPrivateKey, bool) { return w.medEnc, true }
	var out []*mediatorpb.ConfirmationResponse
	for _, ev := range evs {
		for _, env := range ev.GetBatch().GetEnvelopes() {
			op, err := protocol.OpenPayload(env.Content, med, key)
			if err != nil || op.Kind != protocolpb.EncryptedPayload_KIND_CONFIRMATION_RESPONSE {
				continue
			}
			if _, resp, err := protocol.DecodeSignedResponse(op.Plaintext); err == nil && resp.RequestIdMicros == id {
				out = append(out, resp)
			}
		}
	}
	return out
}
