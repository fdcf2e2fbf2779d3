package engine_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant/engine"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// TestEngineRestoreAtEveryEvent cuts a participant's stream after every event, restores
// a fresh engine from the checkpoint and the active contracts at the cut, and checks it
// continues exactly like the engine that never stopped: same updates, completions,
// sends and final active contracts. Cuts fall between requests and their verdicts, so
// pending requests and their locks must survive.
func TestEngineRestoreAtEveryEvent(t *testing.T) {
	f := newFlow(t)
	iou := ledger.TemplateID{Package: f.pkg.ID, Name: "IouProposal"}
	propose := func() []byte {
		return f.submit(f.bankP, ledger.CreateCommand([]ledger.Party{bankParty}, iou, ledger.Record{
			"issuer": ledger.PartyValue(bankParty), "owner": ledger.PartyValue(aliceParty),
			"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal("7")}, "currency": ledger.TextValue("EUR"),
		}))
	}
	accept := func(cid ledger.ContractID) []byte {
		return f.submit(f.traderP, ledger.ExerciseCommand([]ledger.Party{aliceParty}, iou, cid, "Accept", ledger.Record{}))
	}
	f.block(propose())
	f.block(propose())
	props := f.templates(f.bankP, "IouProposal")
	f.block(accept(props[0]), accept(props[0]), accept(props[1])) // a double spend among them

	for _, p := range []*member{f.bankP, f.traderP} {
		evs, err := core.ReadEvents(f.r, p.id, 0, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		want := run(t, f.newEngine(f.m.Genesis().SynchronizerID, p), evs)
		pendingCuts := 0
		for cut := 0; cut <= len(evs); cut++ {
			first := f.newEngine(f.m.Genesis().SynchronizerID, p)
			head := run(t, first, evs[:cut])
			cp := first.Checkpoint()
			if len(cp.Pending) > 0 {
				pendingCuts++
			}
			b, err := json.Marshal(cp) // the store keeps pending requests as JSON
			if err != nil {
				t.Fatal(err)
			}
			var decoded engine.Checkpoint
			if err := json.Unmarshal(b, &decoded); err != nil {
				t.Fatal(err)
			}
			restored, err := engine.Restore(f.newEngine(f.m.Genesis().SynchronizerID, p).Config(), first.ACS(), decoded)
			if err != nil {
				t.Fatalf("%s cut %d: %v", p.id, cut, err)
			}
			tail := run(t, restored, evs[cut:])
			if got := head + tail; got != want {
				t.Fatalf("%s cut %d: restored engine diverged:\n got %s\nwant %s", p.id, cut, got, want)
			}
			if !bytes.Equal(engine.ACSHash(restored.ACS()), engine.ACSHash(f.engines[p.id].ACS())) {
				t.Fatalf("%s cut %d: ACS differs from the live engine's", p.id, cut)
			}
		}
		if pendingCuts == 0 {
			t.Fatalf("%s: no cut fell between a request and its verdict", p.id)
		}
	}
}

// run steps evs and renders everything the engine decided.
func run(t *testing.T, e *engine.Engine, evs []*pb.SequencedEvent) string {
	t.Helper()
	var out bytes.Buffer
	for _, ev := range evs {
		if err := e.Step(ev); err != nil {
			t.Fatal(err)
		}
		rd := e.Ready()
		for _, s := range rd.Sends {
			fmt.Fprintf(&out, "send %s;", s.MessageID)
		}
		for _, u := range rd.Updates {
			fmt.Fprintf(&out, "update %d %d %x +%d -%v;", u.Offset, u.RequestID, u.RootHash, len(u.Created), u.Archived)
			for _, c := range u.Created {
				fmt.Fprintf(&out, "%s;", c.ID)
			}
		}
		for _, c := range rd.Completions {
			fmt.Fprintf(&out, "done %d %v %s;", c.RequestID, c.Committed, c.Reason)
		}
	}
	return out.String()
}
