package participant_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/ledgerapi"
)

// Every scenario below runs one attack of a dishonest participant (mallory) on a real
// one-validator chain with a real mediator and two honest participants, and checks the
// specific reason it is stopped for, that nothing was committed that should not be,
// that the honest participants agree and that the honest flow afterwards commits.

// A participant submits in the name of a party it does not host: Bank is hosted on
// bankp, mallory submits Bank's IOU proposal, once naming itself as the submitting
// participant and once naming bankp.
func TestMaliciousImpersonatesAnotherParticipantsParty(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newByzWorld(t, ctx)
	for _, tc := range []struct {
		name, submitting, want string
	}{
		{"as itself", w.malID, "does not host submitter"},
		{"naming the bank's participant", w.net.Member("bankp").ID, "the request was sent by"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := w.prepare(w.proposal(w.bank, w.alice, "1000"), ledger.ContractMap{}, tc.submitting)
			id := w.sendRaw(w.batch(r))
			w.rejectedWith(id, "submitter_not_authorized", w.honest()...)
			w.rejectedWith(id, tc.want, w.honest()...)
			if n := countTemplate(w.bankNode.ACS(), "IouProposal"); n != 0 {
				t.Fatalf("the bank's participant holds %d proposals it never made", n)
			}
		})
	}
	w.settle()
}

// The submitting participant refuses, before sending anything, a command whose actAs
// party it does not host with Submission permission (the Ledger API answers
// PermissionDenied): the trader's participant cannot act as Bank.
func TestSubmitterRefusesPartiesItMayNotSubmitFor(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newChainWorld(t, ctx)
	_, err := w.traderNode.Submit(ctx, ledger.CreateCommand([]ledger.Party{w.bank}, w.tid(), ledger.Record{
		"issuer": ledger.PartyValue(w.bank), "owner": ledger.PartyValue(w.alice),
		"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal("5")}, "currency": ledger.TextValue("USD"),
	}))
	if !errors.Is(err, participant.ErrSubmitterNotAuthorized) || !strings.Contains(err.Error(), "does not host "+string(w.bank)) {
		t.Fatalf("acting as another participant's party: %v", err)
	}
	if st, ok := status.FromError(ledgerapi.StatusOf(err)); !ok || st.Code() != codes.PermissionDenied {
		t.Fatalf("Ledger API status %v, want PermissionDenied", st)
	}
}

// A request whose mediator is down does not stay pending: SubmitAndWait answers that it
// timed out, once sequencer time passes its deadline, the input it locked is free again,
// and the same acceptance commits once a mediator is back.
func TestRequestWithoutVerdictTimesOut(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newByzWorld(t, ctx)
	prop := w.propose("25")
	w.med.Stop()
	err := w.accept(prop)
	if !errors.Is(err, participant.ErrTimedOut) || !strings.Contains(err.Error(), "no verdict of mediator group 0") {
		t.Fatalf("accept without a mediator: %v", err)
	}
	if st, _ := status.FromError(ledgerapi.StatusOf(err)); st.Code() != codes.Aborted {
		t.Fatalf("Ledger API status %v, want Aborted", st)
	}
	for _, n := range w.honest() {
		if err := n.WaitNoPending(ctx); err != nil {
			t.Fatal(err)
		}
		if _, ok := n.ACS()[prop]; !ok {
			t.Fatalf("the proposal is gone although nothing committed")
		}
	}
	w.startMediator()
	if err := w.accept(prop); err != nil {
		t.Fatalf("accept once the mediator is back: %v", err)
	}
	w.settle()
}

// A request sent again after its contract was archived would bring the contract back
// (contract ids derive from the root hash): mallory's proposal to Alice commits, Alice
// rejects it (archiving it), mallory sends the very same request again. Mallory alone
// confirms it, so the mediator approves; the trader's participant, which sees the root
// hash again, rejects it as a duplicate and does not resurrect the proposal.
func TestMaliciousReplaysRequestAfterArchive(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newByzWorld(t, ctx)
	b := w.batch(w.prepare(w.proposal(w.mallory, w.alice, "77"), ledger.ContractMap{}, w.malID))
	first := w.sendRaw(b)
	if c := w.outcome(w.traderNode, first); !c.Committed {
		t.Fatalf("mallory's proposal: %+v", c)
	}
	var prop ledger.ContractID
	for id, c := range w.traderNode.ACS() {
		if c.Template.Name == "IouProposal" {
			prop = id
		}
	}
	if _, err := w.traderNode.Submit(ctx, ledger.ExerciseCommand([]ledger.Party{w.alice}, w.tid(), prop, "Reject", ledger.Record{})); err != nil {
		t.Fatalf("alice rejects the proposal: %v", err)
	}
	again := w.sendRaw(b)
	c := w.outcome(w.traderNode, again)
	if c.Committed {
		t.Fatalf("the replayed request committed at the trader's participant: %+v", c)
	}
	if _, back := w.traderNode.ACS()[prop]; back {
		t.Fatal("the archived proposal is active again")
	}
	w.settle()
}
