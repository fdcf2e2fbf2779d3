package protocol

import (
	"slices"
	"testing"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/mediator"
	mediatorpb "github.com/cometsync/cometsync/proto/mediatorpb"
)

// TestPreparedRequestConfirmedByMediator runs the pure halves of the transaction protocol
// end to end for an IOU transfer: the submitter prepares the tree, the mediator decodes
// the informee tree and aggregates the confirmations of the participants hosting the
// confirming parties (each with its own key), and approves; a rejection by one of them
// makes it reject at once.
func TestPreparedRequestConfirmedByMediator(t *testing.T) {
	for _, verdict := range []mediatorpb.Verdict{mediatorpb.Verdict_VERDICT_APPROVE, mediatorpb.Verdict_VERDICT_REJECT} {
		t.Run(verdict.String(), func(t *testing.T) {
			w := newWorld(t)
			p := prepare(t, w.iouTransfer(), seedOf(7))
			pl := plan(t, p, hosting)
			it, err := DecodeInformeeTree(pl.InformeeTree)
			if err != nil {
				t.Fatal(err)
			}
			req := it.MediatorRequest()
			reqBytes, _ := req.Marshal()

			keys := map[string]crypto.SigningPrivateKey{}
			topo, verifier := mediator.NewMemTopology(), mediator.StaticKeys{}
			for party, parts := range hosting {
				topo.Set(party, 0, mediator.PartyHosting{Threshold: 1, Confirmers: parts})
				for _, pt := range parts {
					if _, ok := keys[pt]; !ok {
						keys[pt], _ = crypto.GenerateSigningKey(nil)
						verifier[pt] = []crypto.SigningPublicKey{keys[pt].Public()}
					}
				}
			}
			core, err := mediator.NewCore(mediator.Config{Mediator: "MED::m::1220ab", SynchronizerID: syncID, Topology: topo, Verifier: verifier})
			if err != nil {
				t.Fatal(err)
			}
			const ts = int64(1_000_000)
			var rhm []mediator.RootHashMessage
			for _, e := range pl.RootHashMessages {
				rhm = append(rhm, mediator.RootHashMessage{RootHash: it.RootHash[:], Recipients: []string{e.Participant}})
			}
			if err := core.Step(mediator.RequestEvent{TS: ts, InformeeTree: reqBytes, RootHashMessages: rhm, DecisionTimeout: int64(time.Minute / time.Microsecond)}); err != nil {
				t.Fatal(err)
			}
			for i, pt := range confirmers(req) {
				resp := &mediatorpb.ConfirmationResponse{
					Sender: pt, RequestIdMicros: ts, RootHash: it.RootHash[:], AllViews: true,
					ConfirmingParties: hostedConfirming(req, pt), Verdict: mediatorpb.Verdict_VERDICT_APPROVE, SynchronizerId: syncID,
				}
				if i == 0 && verdict == mediatorpb.Verdict_VERDICT_REJECT {
					resp.Verdict, resp.RejectReason = mediatorpb.Verdict_VERDICT_REJECT, "inputs already spent"
				}
				signed, err := mediator.SignResponse(keys[pt], resp)
				if err != nil {
					t.Fatal(err)
				}
				if err := core.Step(mediator.ResponseEvent{TS: ts + int64(i) + 1, Sender: pt, Signed: signed}); err != nil {
					t.Fatal(err)
				}
				if verdict == mediatorpb.Verdict_VERDICT_REJECT {
					break
				}
			}
			rd := core.Ready()
			if len(rd.Results) != 1 || rd.Results[0].Result.Verdict != verdict {
				t.Fatalf("results %+v, want one %s", rd.Results, verdict)
			}
		})
	}
}

// confirmers lists the participants hosting a confirming party of the request, sorted.
func confirmers(req *mediatorpb.InformeeTree) []string {
	var out []string
	for _, v := range req.Views {
		for _, inf := range v.Informees {
			if inf.Confirming {
				out = append(out, hosting[inf.Party]...)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// hostedConfirming lists the confirming parties of the request that participant hosts.
func hostedConfirming(req *mediatorpb.InformeeTree, participant string) []string {
	var out []string
	for _, v := range req.Views {
		for _, inf := range v.Informees {
			if inf.Confirming && slices.Contains(hosting[inf.Party], participant) {
				out = append(out, inf.Party)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
