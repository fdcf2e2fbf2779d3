package protocol

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cometsync/cometsync/ledger"
)

const (
	bank     ledger.Party = "Bank::1220aa"
	registry ledger.Party = "Registry::1220bb"
	alice    ledger.Party = "Alice::1220cc"
	bob      ledger.Party = "Bob::1220dd"
	carol    ledger.Party = "Carol::1220ee"

	// The bank's and the registry's participants, the trader participant hosting alice and
	// bob, and carol's participant, which hosts no informee of the scenarios' transactions.
	pBank     = "PAR::bank::1220a1"
	pRegistry = "PAR::registry::1220b1"
	pTrader   = "PAR::trader::1220c1"
	pCarol    = "PAR::carol::1220d1"

	syncID = "sync::1220ff"
)

var (
	testTime  = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tolerance = time.Minute
	hosting   = HostingMap{
		string(bank): {pBank}, string(registry): {pRegistry},
		string(alice): {pTrader}, string(bob): {pTrader}, string(carol): {pCarol},
	}
)

func loadExample(t testing.TB, name string) *ledger.Package {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := ledger.ParsePackage(src)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return pkg
}

// world is a reference ledger: an active contract set that transactions update.
type world struct {
	t        testing.TB
	iou, dvp *ledger.Package
	pkgs     *ledger.PackageSet
	acs      ledger.ContractMap
	n        int
	log      []*submission // every successful submission, in order
}

func newWorld(t testing.TB) *world {
	w := &world{t: t, iou: loadExample(t, "iou.yaml"), dvp: loadExample(t, "dvp.yaml"), acs: ledger.ContractMap{}}
	pkgs, err := ledger.NewPackageSet(w.iou, w.dvp)
	if err != nil {
		t.Fatal(err)
	}
	w.pkgs = pkgs
	return w
}

func (w *world) tid(pkg *ledger.Package, name string) ledger.TemplateID {
	return ledger.TemplateID{Package: pkg.ID, Name: name}
}

// submission is an interpreted command and the active contracts it was interpreted against.
type submission struct {
	cmd    ledger.Command
	tx     *ledger.Transaction
	before ledger.ContractMap
}

func (w *world) try(cmd ledger.Command) (*submission, error) {
	w.n++
	var seed ledger.Seed
	seed[0], seed[1] = byte(w.n), byte(w.n>>8)
	tx, err := ledger.Interpret(w.pkgs, cmd, w.acs, testTime, seed)
	if err != nil {
		return nil, err
	}
	s := &submission{cmd: cmd, tx: tx, before: ledger.ContractMap{}}
	for id, c := range w.acs {
		s.before[id] = c
	}
	eff := tx.Effects()
	for _, id := range eff.Archived {
		delete(w.acs, id)
	}
	w.acs.Add(eff.Created...)
	w.log = append(w.log, s)
	return s, nil
}

func (w *world) submit(cmd ledger.Command) *submission {
	w.t.Helper()
	s, err := w.try(cmd)
	if err != nil {
		w.t.Fatalf("submit: %v", err)
	}
	return s
}

func dec(s string) ledger.DecimalValue {
	return ledger.DecimalValue{Decimal: ledger.MustParseDecimal(s)}
}

func resultID(s *submission) ledger.ContractID {
	return ledger.ContractID(s.tx.Roots[0].Result.(ledger.ContractIDValue))
}

// issueIou has issuer offer an IOU to owner, who accepts; it returns the IOU.
func (w *world) issueIou(issuer, owner ledger.Party, amount string) ledger.ContractID {
	s := w.submit(ledger.CreateCommand([]ledger.Party{issuer}, w.tid(w.iou, "IouProposal"), ledger.Record{
		"issuer": ledger.PartyValue(issuer), "owner": ledger.PartyValue(owner), "amount": dec(amount), "currency": ledger.TextValue("USD"),
	}))
	return resultID(w.submit(ledger.ExerciseCommand([]ledger.Party{owner}, w.tid(w.iou, "IouProposal"), s.tx.Roots[0].ContractID, "Accept", ledger.Record{})))
}

// iouTransfer issues an IOU from the bank to alice, has alice propose to transfer it to
// bob, and returns bob's acceptance.
func (w *world) iouTransfer() *submission {
	iou := w.issueIou(bank, alice, "100")
	prop := resultID(w.submit(ledger.ExerciseCommand([]ledger.Party{alice}, w.tid(w.iou, "Iou"), iou, "ProposeTransfer",
		ledger.Record{"newOwner": ledger.PartyValue(bob)})))
	return w.submit(ledger.ExerciseCommand([]ledger.Party{bob}, w.tid(w.iou, "IouTransferProposal"), prop, "Accept", ledger.Record{}))
}

// dvpSettle issues cash from the bank to buyer and an asset from the registry to seller,
// has the buyer propose the trade and returns the seller's settlement.
func (w *world) dvpSettle(buyer, seller ledger.Party) *submission {
	cash := w.offerAccept(bank, buyer, "IouOffer", ledger.Record{"amount": dec("100"), "currency": ledger.TextValue("USD")})
	asset := w.offerAccept(registry, seller, "AssetOffer", ledger.Record{"description": ledger.TextValue("ACME shares"), "quantity": ledger.IntValue(5)})
	s := w.submit(ledger.CreateCommand([]ledger.Party{buyer}, w.tid(w.dvp, "DvpProposal"), ledger.Record{
		"buyer": ledger.PartyValue(buyer), "seller": ledger.PartyValue(seller), "cash": ledger.ContractIDValue(cash),
		"price": dec("100.0"), "currency": ledger.TextValue("USD"), "description": ledger.TextValue("ACME shares"), "quantity": ledger.IntValue(5),
	}))
	return w.submit(ledger.ExerciseCommand([]ledger.Party{seller}, w.tid(w.dvp, "DvpProposal"), s.tx.Roots[0].ContractID, "Settle",
		ledger.Record{"asset": ledger.ContractIDValue(asset)}))
}

func (w *world) offerAccept(issuer, owner ledger.Party, tmpl string, args ledger.Record) ledger.ContractID {
	args["issuer"], args["owner"] = ledger.PartyValue(issuer), ledger.PartyValue(owner)
	s := w.submit(ledger.CreateCommand([]ledger.Party{issuer}, w.tid(w.dvp, tmpl), args))
	return resultID(w.submit(ledger.ExerciseCommand([]ledger.Party{owner}, w.tid(w.dvp, tmpl), s.tx.Roots[0].ContractID, "Accept", ledger.Record{})))
}

func metadataFor(s *submission) Metadata {
	return Metadata{SubmittingParticipant: pTrader, Submitters: s.cmd.ActAs, SynchronizerID: syncID, MediatorGroup: 0, LedgerTime: testTime}
}

func seedOf(b byte) Seed {
	var s Seed
	for i := range s {
		s[i] = b + byte(i)
	}
	return s
}

func prepare(t testing.TB, s *submission, seed Seed) *Prepared {
	t.Helper()
	p, err := Prepare(s.tx, s.before, metadataFor(s), seed)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func plan(t testing.TB, p *Prepared, h Hosting) *SubmissionPlan {
	t.Helper()
	pl, err := Recipients(p, h)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

func validator(w *world, known ledger.ContractLookup) Validator {
	return Validator{Packages: w.pkgs, Hosting: hosting, Known: known, Tolerance: tolerance}
}

func envelope(t testing.TB, pl *SubmissionPlan, path string) ViewEnvelope {
	t.Helper()
	for _, e := range pl.Views {
		if e.Path.String() == path {
			return e
		}
	}
	t.Fatalf("no view %s", path)
	return ViewEnvelope{}
}
