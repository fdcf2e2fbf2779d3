package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant/engine"
	"github.com/cometsync/cometsync/protocol"
)

// TestEngineImport: a fresh engine of a host of Alice imports the trader's contracts (all
// of them, as one update); importing them again counts none twice; a contract active here
// with other content, or seen here and archived, refuses the whole import and changes
// nothing; a participant hosting no stakeholder imports nothing.
func TestEngineImport(t *testing.T) {
	f := newFlow(t)
	f.block(f.submit(f.bankP, ledger.CreateCommand([]ledger.Party{bankParty}, ledger.TemplateID{Package: f.pkg.ID, Name: "IouProposal"}, ledger.Record{
		"issuer": ledger.PartyValue(bankParty), "owner": ledger.PartyValue(aliceParty),
		"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal("100")}, "currency": ledger.TextValue("USD"),
	})))
	prop := f.templates(f.bankP, "IouProposal")[0]
	f.block(f.submit(f.traderP, ledger.ExerciseCommand([]ledger.Party{aliceParty}, ledger.TemplateID{Package: f.pkg.ID, Name: "IouProposal"}, prop, "Accept", ledger.Record{})))
	src := f.engines[f.traderP.id].ACS()
	var cs []*ledger.Contract
	for _, c := range src {
		cs = append(cs, c)
	}
	if len(cs) == 0 {
		t.Fatal("the trader holds nothing: nothing to import")
	}
	root := protocol.Hash{1}
	e := f.newEngine(f.m.Genesis().SynchronizerID, f.traderP)
	u, rep, err := e.Import(engine.Import{At: 5, Root: root, Contracts: cs})
	if err != nil || len(rep.Imported) != len(cs) || len(u.Created) != len(cs) || u.Offset != 1 || u.RequestID != 5 || u.RootHash != root {
		t.Fatalf("import: %+v, %+v, %v", u, rep, err)
	}
	if !sameIDs(e.ACS(), src) || string(engine.ACSHash(e.ACS())) != string(engine.ACSHash(src)) {
		t.Fatal("the imported ACS differs from the source's")
	}
	if _, rep, err := e.Import(engine.Import{At: 6, Root: protocol.Hash{2}, Contracts: cs}); err != nil || len(rep.Imported) != 0 || len(rep.AlreadyActive) != len(cs) {
		t.Fatalf("import again: %+v, %v; want every contract already active", rep, err)
	}
	before := engine.ACSHash(e.ACS())
	changed := *cs[0]
	changed.Arguments = ledger.Record{"owner": ledger.PartyValue(bankParty)}
	if _, _, err := e.Import(engine.Import{At: 7, Contracts: []*ledger.Contract{&changed}}); !errors.Is(err, engine.ErrImportConflict) || !strings.Contains(err.Error(), "active here with other content") {
		t.Fatalf("a contract with other content: %v", err)
	}
	fresh := f.newEngine(f.m.Genesis().SynchronizerID, f.traderP)
	archived := func(id ledger.ContractID) (*ledger.Contract, bool) { return src[id], id == cs[0].ID }
	if _, _, err := fresh.Import(engine.Import{At: 7, Contracts: cs, Known: archived}); !errors.Is(err, engine.ErrImportConflict) || !strings.Contains(err.Error(), "archived here") {
		t.Fatalf("a contract archived here: %v", err)
	}
	if len(fresh.ACS()) != 0 || fresh.LastOffset() != 0 || string(engine.ACSHash(e.ACS())) != string(before) {
		t.Fatal("a refused import changed the engine")
	}
	carol := f.newEngine(f.m.Genesis().SynchronizerID, f.carolP)
	if _, rep, err := carol.Import(engine.Import{At: 8, Contracts: cs}); err != nil || len(rep.NotHosted) != len(cs) || len(carol.ACS()) != 0 {
		t.Fatalf("a participant hosting no stakeholder: %+v, %v", rep, err)
	}
}
