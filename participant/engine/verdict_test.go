package engine_test

import (
	"strings"
	"testing"

	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/mediator"
	"github.com/cometsync/cometsync/participant/engine"
	mediatorpb "github.com/cometsync/cometsync/proto/mediatorpb"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/protocol"
)

func (f *flow) proposeTo(owner ledger.Party, amount string) []byte {
	return f.submit(f.bankP, ledger.CreateCommand([]ledger.Party{bankParty}, ledger.TemplateID{Package: f.pkg.ID, Name: "IouProposal"}, ledger.Record{
		"issuer": ledger.PartyValue(bankParty), "owner": ledger.PartyValue(owner),
		"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal(amount)}, "currency": ledger.TextValue("USD"),
	}))
}

// verdictFrom is res signed by signer as the mediator named in it, sealed to the
// request's informee participants and submitted by from.
func (f *flow) verdictFrom(from, signer *member, res *mediatorpb.TransactionResult, recipients []string, msgID string) []byte {
	signed, err := protocol.SignResult(signer.sig, res)
	if err != nil {
		f.t.Fatal(err)
	}
	b, _ := signed.Marshal()
	env, err := mediator.SealResult(mediator.Result{Recipients: recipients, Result: res}, b, f)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.sign(from, msgID, &pb.Batch{Envelopes: []*pb.Envelope{env}})
}

func (f *flow) hasIgnored(p *member, reason string) bool {
	for _, ig := range f.ignored[p.id] {
		if ig.Reason == reason {
			return true
		}
	}
	return false
}

// TestForgedVerdictsIgnored: with the mediator's verdicts lost, verdicts from anyone
// else change nothing: one signed by a participant naming itself (not an active
// mediator), one naming the mediator but sent by a participant (the sequencer attests
// the sender), one signed by a mediator outside the group. The request then times out
// at the participants on sequencer time and its lock is released.
func TestForgedVerdictsIgnored(t *testing.T) {
	f := newFlow(t)
	f.muteMediator = true
	f.block(f.proposeTo(aliceParty, "9"))
	if len(f.lastResults) != 1 {
		t.Fatalf("mediator results %d, want 1", len(f.lastResults))
	}
	genuine := f.lastResults[0]
	recipients := genuine.Recipients
	forge := func(name string) *mediatorpb.TransactionResult {
		res := *genuine.Result
		res.Mediator = name
		return &res
	}
	f.block(
		f.verdictFrom(f.carolP, f.carolP, forge(f.carolP.id), recipients, "forged-1"),
		f.verdictFrom(f.carolP, f.carolP, forge(f.med.id), recipients, "forged-2"),
		f.verdictFrom(f.med2, f.med2, forge(f.med2.id), recipients, "forged-3"),
	)
	for _, p := range []*member{f.bankP, f.traderP} {
		if len(f.engines[p.id].ACS()) != 0 {
			t.Fatalf("%s committed on a forged verdict", p.id)
		}
		for _, reason := range []string{engine.IgnoredNotActiveMediator, engine.IgnoredSenderMismatch} {
			if !f.hasIgnored(p, reason) {
				t.Fatalf("%s: no result ignored for %s (ignored: %+v)", p.id, reason, f.ignored[p.id])
			}
		}
		if f.engines[p.id].PendingCount() != 1 {
			t.Fatalf("%s: the request is no longer pending", p.id)
		}
	}
	// Past the deadline (30 s decision + 10 s reaction): any event times the request out.
	f.now += 41_000_000
	f.block(f.sign(f.bankP, "time-proof", &pb.Batch{}))
	for _, p := range []*member{f.bankP} {
		cs := f.completions[p.id]
		if len(cs) != 1 || !cs[0].TimedOut || cs[0].Committed || !strings.Contains(cs[0].Reason, "timed out") {
			t.Fatalf("%s completions %+v, want one timeout", p.id, cs)
		}
		if f.engines[p.id].PendingCount() != 0 {
			t.Fatalf("%s still has the request pending", p.id)
		}
	}
	// A late genuine verdict no longer counts.
	f.muteMediator = false
	signed := f.verdictFrom(f.med, f.med, genuine.Result, recipients, genuine.MessageID())
	f.block(signed)
	if len(f.engines[f.bankP.id].ACS()) != 0 || !f.hasIgnored(f.bankP, engine.IgnoredNoPendingRequest) {
		t.Fatalf("a verdict after the deadline counted (ignored %+v)", f.ignored[f.bankP.id])
	}
}

// TestMediatorGroupThreshold: with a group of two mediators and threshold 2, one
// approval does not commit; a second, identical verdict from the other mediator does;
// a second verdict from the same mediator is a duplicate.
func TestMediatorGroupThreshold(t *testing.T) {
	f := newFlow(t)
	f.medThreshold = 2
	f.block(f.proposeTo(aliceParty, "11"))
	if len(f.engines[f.bankP.id].ACS()) != 0 {
		t.Fatal("committed on one verdict of a threshold-2 group")
	}
	genuine := f.lastResults[0]
	f.block(f.verdictFrom(f.med, f.med, genuine.Result, genuine.Recipients, "again"))
	if !f.hasIgnored(f.bankP, engine.IgnoredDuplicate) || len(f.engines[f.bankP.id].ACS()) != 0 {
		t.Fatalf("a second verdict of the same mediator counted (ignored %+v)", f.ignored[f.bankP.id])
	}
	second := *genuine.Result
	second.Mediator = f.med2.id
	f.block(f.verdictFrom(f.med2, f.med2, &second, genuine.Recipients, "med2"))
	for _, p := range []*member{f.bankP, f.traderP} {
		if len(f.templates(p, "IouProposal")) != 1 {
			t.Fatalf("%s: not committed after two identical verdicts", p.id)
		}
	}

	// Disagreeing mediators: one approves, the other rejects; nothing is decided and the
	// request times out.
	f.block(f.proposeTo(aliceParty, "12"))
	genuine = f.lastResults[len(f.lastResults)-1]
	reject := *genuine.Result
	reject.Mediator, reject.Verdict, reject.RejectReason = f.med2.id, mediatorpb.Verdict_VERDICT_REJECT, "disagree"
	f.block(f.verdictFrom(f.med2, f.med2, &reject, genuine.Recipients, "med2-reject"))
	if got := len(f.templates(f.bankP, "IouProposal")); got != 1 || f.engines[f.bankP.id].PendingCount() != 1 {
		t.Fatalf("split verdicts decided the request (proposals %d, pending %d)", got, f.engines[f.bankP.id].PendingCount())
	}
	f.now += 41_000_000
	f.block(f.sign(f.bankP, "time-proof", &pb.Batch{}))
	if f.engines[f.bankP.id].PendingCount() != 0 {
		t.Fatal("split verdicts: the request did not time out")
	}
}

// TestObservingParticipantDoesNotConfirm: a participant that hosts a party only with
// Observation permission at the request's time (or no longer hosts it) validates the
// views it gets and commits their effects, but does not confirm for the party.
func TestObservingParticipantDoesNotConfirm(t *testing.T) {
	f := newHostedFlow(t, 2, 1) // alice on the trader and alicehost1, threshold 1
	observer := f.extra[0]
	f.permissions = map[string]topopb.ParticipantPermission{string(aliceParty) + "/" + observer.id: topopb.ParticipantPermission_PARTICIPANT_PERMISSION_OBSERVATION}
	f.block(f.proposeTo(aliceParty, "13"))
	prop := f.templates(f.traderP, "IouProposal")[0]
	f.block(f.submit(f.traderP, ledger.ExerciseCommand([]ledger.Party{aliceParty}, ledger.TemplateID{Package: f.pkg.ID, Name: "IouProposal"}, prop, "Accept", ledger.Record{})))
	if got := f.sends[observer.id]; got != 0 {
		t.Fatalf("the observing participant sent %d responses", got)
	}
	if f.sends[f.traderP.id] == 0 {
		t.Fatal("the confirming participant sent no response")
	}
	for _, p := range []*member{f.bankP, f.traderP, observer} {
		if len(f.templates(p, "Iou")) != 1 {
			t.Fatalf("%s: the acceptance did not commit", p.id)
		}
	}
}
