package engine_test

import (
	"testing"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/ledger"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// FuzzEngineStep feeds arbitrary events to a participant engine: whatever the bytes, Step
// does not fail or panic (what is not for the engine is ignored, what does not check out
// is rejected), and every send it decides can be sealed. The seeds are the events of a
// real IOU proposal and acceptance on the trader's stream.
func FuzzEngineStep(ff *testing.F) {
	f := newFlow(ff)
	iou := ledger.TemplateID{Package: f.pkg.ID, Name: "IouProposal"}
	f.block(f.submit(f.bankP, ledger.CreateCommand([]ledger.Party{bankParty}, iou, ledger.Record{
		"issuer": ledger.PartyValue(bankParty), "owner": ledger.PartyValue(aliceParty),
		"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal("3")}, "currency": ledger.TextValue("CHF"),
	})))
	f.block(f.submit(f.traderP, ledger.ExerciseCommand([]ledger.Party{aliceParty}, iou, f.templates(f.traderP, "IouProposal")[0], "Accept", ledger.Record{})))
	evs, err := core.ReadEvents(f.r, f.traderP.id, 0, 1<<20)
	if err != nil {
		ff.Fatal(err)
	}
	for _, ev := range evs {
		b, _ := ev.Marshal()
		ff.Add(b)
	}
	ff.Add([]byte{})
	syncID := f.m.Genesis().SynchronizerID
	ff.Fuzz(func(t *testing.T, data []byte) {
		var ev pb.SequencedEvent
		if ev.Unmarshal(data) != nil {
			return
		}
		e := f.newEngine(syncID, f.traderP)
		for range 2 { // the same event twice: a replayed or duplicated delivery
			if err := e.Step(&ev); err != nil {
				t.Fatalf("Step failed on an event: %v", err)
			}
			for _, s := range e.Ready().Sends {
				if _, err := e.SealSend(s); err != nil {
					t.Fatalf("a decided send cannot be sealed: %v", err)
				}
			}
		}
	})
}
