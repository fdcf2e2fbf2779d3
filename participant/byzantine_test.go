package participant_test

import (
	"context"
	"testing"
	"time"

	"github.com/cometsync/cometsync/ledger"
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
