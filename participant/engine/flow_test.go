package engine_test

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/mediator"
	"github.com/cometsync/cometsync/participant/engine"
	mediatorpb "github.com/cometsync/cometsync/proto/mediatorpb"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/protocol"
	"github.com/cometsync/cometsync/seqapi"
	"github.com/cometsync/cometsync/topology"
)

const (
	bankParty  ledger.Party = "Bank::1220aa"
	aliceParty ledger.Party = "Alice::1220bb"
)

// member is a synchronizer member of the flow with its keys and stream position.
type member struct {
	id   string
	sig  crypto.SigningPrivateKey
	enc  crypto.EncryptionPrivateKey
	next int64
}

// flow runs the sequencer core (no network), two participant engines and a mediator
// core, moving every message through sequenced batches as the nodes would.
type flow struct {
	t                   testing.TB
	m                   *core.Machine
	r                   *core.MemReader
	height, now         int64
	bankP, traderP, med *member
	carolP              *member   // hosts no party of the flow
	extra               []*member // more participants hosting alice (seed 004)
	engines             map[string]*engine.Engine
	mc                  *mediator.Core
	pkgs                *ledger.PackageSet
	pkg                 *ledger.Package
	hosting             protocol.HostingMap
	verifier            protocol.StaticKeys
	msgs                int
	drop                map[string]bool                         // participants whose sends are lost (stopped)
	withhold            string                                  // a participant the submitter leaves out of every view
	results             []string                                // the mediator's verdicts, "VERDICT reason"
	permissions         map[string]topopb.ParticipantPermission // "party/participant" -> other than submission
	med2                *member                                 // a second mediator, in the group when medThreshold > 1
	medThreshold        int
	muteMediator        bool // the mediator's verdicts are lost
	lastResults         []mediator.Result
	ignored             map[string][]engine.Ignored    // by participant
	completions         map[string][]engine.Completion // by participant
	sends               map[string]int                 // responses decided, by participant
	aliceThreshold      int
}

func newMember(t testing.TB, kind crypto.MemberKind, name string) *member {
	sig, _ := crypto.GenerateSigningKey(nil)
	enc, err := crypto.GenerateEncryptionKey(crypto.SchemeX25519)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := crypto.NewMember(kind, name, sig.Fingerprint())
	return &member{id: m.String(), sig: sig, enc: enc}
}

func (f *flow) participants() []*member {
	return append([]*member{f.bankP, f.traderP, f.carolP}, f.extra...)
}

func newFlow(t testing.TB) *flow { return newHostedFlow(t, 1, 1) }

// newHostedFlow hosts alice on hosts participants (the trader and hosts-1 more) with a
// confirmation threshold.
func newHostedFlow(t testing.TB, hosts, threshold int) *flow {
	f := &flow{t: t, r: core.NewMemReader(), now: 1_700_000_000_000_000, engines: map[string]*engine.Engine{}, verifier: protocol.StaticKeys{}}
	f.bankP, f.traderP, f.carolP = newMember(t, crypto.KindParticipant, "bank"), newMember(t, crypto.KindParticipant, "trader"), newMember(t, crypto.KindParticipant, "carol")
	f.med, f.med2 = newMember(t, crypto.KindMediator, "mediator"), newMember(t, crypto.KindMediator, "mediator2")
	f.medThreshold, f.ignored, f.completions, f.sends = 1, map[string][]engine.Ignored{}, map[string][]engine.Completion{}, map[string]int{}
	for i := 1; i < hosts; i++ {
		f.extra = append(f.extra, newMember(t, crypto.KindParticipant, fmt.Sprintf("alicehost%d", i)))
	}
	ns, _ := crypto.GenerateSigningKey(nil)
	g := &core.Genesis{SynchronizerID: "sync::" + string(ns.Fingerprint()), ProtocolVersion: seqapi.ProtocolVersion, Parameters: core.DefaultParameters()}
	for _, m := range append(f.participants(), f.med, f.med2) {
		g.Members = append(g.Members, core.GenesisMember{ID: m.id, SigningKeys: []string{core.EncodeKey(m.sig.Public())}})
		f.verifier[m.id] = []crypto.SigningPublicKey{m.sig.Public()}
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	f.m = core.NewMachine(g)
	f.r.Apply(core.InitGenesis(g))
	src, err := os.ReadFile(filepath.Join("..", "..", "examples", "iou.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if f.pkg, err = ledger.ParsePackage(src); err != nil {
		t.Fatal(err)
	}
	if f.pkgs, err = ledger.NewPackageSet(f.pkg); err != nil {
		t.Fatal(err)
	}
	f.aliceThreshold = threshold
	aliceHosts := []string{f.traderP.id}
	for _, m := range f.extra {
		aliceHosts = append(aliceHosts, m.id)
	}
	slices.Sort(aliceHosts)
	f.hosting = protocol.HostingMap{string(bankParty): {f.bankP.id}, string(aliceParty): aliceHosts}
	for _, p := range f.participants() {
		f.engines[p.id] = f.newEngine(g.SynchronizerID, p)
	}
	topo := mediator.NewMemTopology()
	topo.Set(string(bankParty), 0, mediator.PartyHosting{Threshold: 1, Confirmers: []string{f.bankP.id}, Submitters: []string{f.bankP.id}})
	topo.Set(string(aliceParty), 0, mediator.PartyHosting{Threshold: threshold, Confirmers: aliceHosts, Submitters: aliceHosts})
	if f.mc, err = mediator.NewCore(mediator.Config{Mediator: f.med.id, SynchronizerID: g.SynchronizerID, Topology: topo, Verifier: f.verifier}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *flow) newEngine(syncID string, p *member) *engine.Engine {
	e, err := engine.New(engine.Config{
		Participant: p.id, SynchronizerID: syncID, Packages: f.pkgs, SigningKey: p.sig,
		Decryption: func(fp crypto.Fingerprint) (crypto.EncryptionPrivateKey, bool) {
			return p.enc, p.enc.Public().Fingerprint() == fp
		},
		Topology: flowTopology{f},
	}, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return e
}

// flowTopology answers the engines' topology questions from the flow: every hosting
// participant has submission permission unless the flow says otherwise, the mediator
// group is the flow's mediator with threshold 1.
type flowTopology struct{ f *flow }

func (t flowTopology) Hosting(int64) protocol.Hosting { return t.f.hosting }

func (t flowTopology) Permission(_ int64, party, participant string) (topopb.ParticipantPermission, bool) {
	if !slices.Contains(t.f.hosting[party], participant) {
		return 0, false
	}
	if p, ok := t.f.permissions[party+"/"+participant]; ok {
		return p, true
	}
	return topopb.ParticipantPermission_PARTICIPANT_PERMISSION_SUBMISSION, true
}

func (t flowTopology) ConfirmingHosts(at int64, party string) ([]string, int) {
	var hosts []string
	for _, h := range t.f.hosting[party] {
		if p, _ := t.Permission(at, party, h); p != topopb.ParticipantPermission_PARTICIPANT_PERMISSION_OBSERVATION {
			hosts = append(hosts, h)
		}
	}
	threshold := 1
	if party == string(aliceParty) {
		threshold = t.f.aliceThreshold
	}
	return hosts, threshold
}

func (t flowTopology) HostedParties(at int64, participant string) []topology.HostedParty {
	var out []topology.HostedParty
	for party := range t.f.hosting {
		if p, ok := t.Permission(at, party, participant); ok {
			out = append(out, topology.HostedParty{Party: party, Permission: p})
		}
	}
	slices.SortFunc(out, func(a, b topology.HostedParty) int { return strings.Compare(a.Party, b.Party) })
	return out
}

func (t flowTopology) MediatorGroup(int64, uint32) ([]string, int, bool) {
	if t.f.medThreshold > 1 {
		ms := []string{t.f.med.id, t.f.med2.id}
		slices.Sort(ms)
		return ms, t.f.medThreshold, true
	}
	return []string{t.f.med.id}, 1, true
}

func (t flowTopology) Verify(member, key string, at int64, digest, signature []byte) error {
	return t.f.verifier.Verify(member, key, at, digest, signature)
}

func (t flowTopology) EncryptionKeys(int64) protocol.EncryptionKeys { return t.f }

func (t flowTopology) EncryptionKey(_ int64, member string, fp crypto.Fingerprint) (crypto.EncryptionPublicKey, bool) {
	k, ok := t.f.EncryptionKey(member)
	return k, ok && k.Fingerprint() == fp
}

func (t flowTopology) Parameters(int64) topology.ProtocolParameters {
	return topology.ProtocolParameters{DecisionTimeout: 30 * time.Second, LedgerTimeTolerance: time.Hour, MediatorReactionTimeout: 10 * time.Second}
}

func (f *flow) EncryptionKey(id string) (crypto.EncryptionPublicKey, bool) {
	for _, m := range append(f.participants(), f.med, f.med2) {
		if m.id == id {
			return m.enc.Public(), true
		}
	}
	return crypto.EncryptionPublicKey{}, false
}

// sign makes a submission of batch from m.
func (f *flow) sign(m *member, msgID string, b *pb.Batch) []byte {
	req := &pb.SubmissionRequest{Sender: m.id, MessageId: msgID, Batch: b, MaxSequencingTimeMicros: f.now + 60_000_000}
	rb, _ := req.Marshal()
	tx, _ := (&pb.SignedSubmission{Request: rb, Signature: m.sig.Sign(crypto.PurposeSubmissionRequest, rb), SigningKey: string(m.sig.Fingerprint())}).Marshal()
	return tx
}

// block sequences txs, then delivers the new events of every member until nothing more
// is sent (responses, then verdicts).
func (f *flow) block(txs ...[]byte) {
	for len(txs) > 0 {
		f.height++
		f.now += 1000
		out, err := f.m.Execute(f.r, core.Block{Height: f.height, TimeMicros: f.now, Txs: txs})
		if err != nil {
			f.t.Fatal(err)
		}
		for i, r := range out.TxResults {
			if r.Code != seqapi.CodeOK {
				f.t.Fatalf("tx %d of block %d: %s %s", i, f.height, r.Code, r.Log)
			}
		}
		f.r.Apply(out.Writes)
		f.m.Adopt(out)
		txs = f.deliver()
	}
}

func (f *flow) events(m *member) []*pb.SequencedEvent {
	evs, err := core.ReadEvents(f.r, m.id, m.next, 1<<20)
	if err != nil {
		f.t.Fatal(err)
	}
	m.next += int64(len(evs))
	return evs
}

// deliver hands new events to the engines and the mediator and returns what they send.
func (f *flow) deliver() [][]byte {
	var txs [][]byte
	for _, p := range f.participants() {
		e := f.engines[p.id]
		for _, ev := range f.events(p) {
			if err := e.Step(ev); err != nil {
				f.t.Fatal(err)
			}
		}
		rd := e.Ready()
		f.ignored[p.id] = append(f.ignored[p.id], rd.Ignored...)
		f.completions[p.id] = append(f.completions[p.id], rd.Completions...)
		for _, s := range rd.Sends {
			f.sends[p.id]++
			if !f.drop[p.id] {
				b, err := e.SealSend(s)
				if err != nil {
					f.t.Fatal(err)
				}
				txs = append(txs, f.sign(p, s.MessageID, b))
			}
		}
	}
	for _, ev := range f.events(f.med) {
		f.stepMediator(ev)
	}
	rd := f.mc.Ready()
	f.mc.Advance()
	f.lastResults = append(f.lastResults, rd.Results...)
	if f.muteMediator {
		return txs
	}
	for _, r := range rd.Results {
		f.t.Logf("block %d: mediator result for request %d: %s %s", f.height, r.Result.RequestIdMicros, r.Result.Verdict, r.Result.RejectReason)
		verdict := r.Result.Verdict.String()
		if r.Result.RejectCode == mediatorpb.RejectCode_REJECT_CODE_TIMEOUT {
			verdict += " timeout"
		} else if r.Result.RejectReason != "" {
			verdict += " " + r.Result.RejectReason
		}
		f.results = append(f.results, verdict)
		signed, err := protocol.SignResult(f.med.sig, r.Result)
		if err != nil {
			f.t.Fatal(err)
		}
		b, _ := signed.Marshal()
		env, err := mediator.SealResult(r, b, f)
		if err != nil {
			f.t.Fatal(err)
		}
		txs = append(txs, f.sign(f.med, r.MessageID(), &pb.Batch{Envelopes: []*pb.Envelope{env}}))
	}
	return txs
}

// stepMediator feeds one delivery to the mediator core through its intake.
func (f *flow) stepMediator(ev *pb.SequencedEvent) {
	in := mediator.Intake{
		Mediator:        f.med.id,
		Decryption:      func(crypto.Fingerprint) (crypto.EncryptionPrivateKey, bool) { return f.med.enc, true },
		DecisionTimeout: func(int64) int64 { return 30_000_000 },
	}
	for _, e := range in.Events(ev) {
		if err := f.mc.Step(e); err != nil {
			f.t.Fatal(err)
		}
	}
}

// submit interprets cmd against the submitter's ACS and returns the signed request.
func (f *flow) submit(p *member, cmd ledger.Command) []byte {
	var ls ledger.Seed
	var ps protocol.Seed
	rand.Read(ls[:])
	rand.Read(ps[:])
	acs := f.engines[p.id].ACS()
	lt := time.UnixMicro(f.now).UTC()
	tx, err := ledger.Interpret(f.pkgs, cmd, acs, lt, ls)
	if err != nil {
		f.t.Fatal(err)
	}
	prep, err := protocol.Prepare(tx, acs, protocol.Metadata{SubmittingParticipant: p.id, Submitters: ledger.NewPartySet(cmd.ActAs...), SynchronizerID: f.m.Genesis().SynchronizerID, LedgerTime: lt}, ps)
	if err != nil {
		f.t.Fatal(err)
	}
	plan, err := protocol.Recipients(prep, f.hosting)
	if err != nil {
		f.t.Fatal(err)
	}
	if f.withhold != "" { // a malicious submitter drops a hosting participant everywhere
		for i := range plan.Views {
			plan.Views[i].Recipients = slices.DeleteFunc(plan.Views[i].Recipients, func(r string) bool { return r == f.withhold })
		}
	}
	b, err := plan.Batch(f, []string{f.med.id})
	if err != nil {
		f.t.Fatal(err)
	}
	f.msgs++
	return f.sign(p, fmt.Sprintf("req-%d", f.msgs), b)
}

func (f *flow) templates(p *member, name string) []ledger.ContractID {
	var out []ledger.ContractID
	for id, c := range f.engines[p.id].ACS() {
		if c.Template.Name == name {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// TestEngineFlow: an IOU proposal is created and accepted through the whole protocol
// (encrypted views, validation, confirmation, verdict, commit) by two participants; a
// third participant that hosts no informee receives nothing; two concurrent acceptances
// of the same proposal: exactly one commits.
func TestEngineFlow(t *testing.T) {
	f := newFlow(t)
	propose := func() {
		f.block(f.submit(f.bankP, ledger.CreateCommand([]ledger.Party{bankParty}, ledger.TemplateID{Package: f.pkg.ID, Name: "IouProposal"}, ledger.Record{
			"issuer": ledger.PartyValue(bankParty), "owner": ledger.PartyValue(aliceParty),
			"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal("100")}, "currency": ledger.TextValue("USD"),
		})))
	}
	accept := func(cid ledger.ContractID) []byte {
		return f.submit(f.traderP, ledger.ExerciseCommand([]ledger.Party{aliceParty}, ledger.TemplateID{Package: f.pkg.ID, Name: "IouProposal"}, cid, "Accept", ledger.Record{}))
	}

	propose()
	for _, p := range []*member{f.bankP, f.traderP} {
		if got := f.templates(p, "IouProposal"); len(got) != 1 {
			t.Fatalf("%s holds %d proposals after the create", p.id, len(got))
		}
	}
	prop := f.templates(f.bankP, "IouProposal")[0]
	f.block(accept(prop))
	for _, p := range []*member{f.bankP, f.traderP} {
		if len(f.templates(p, "IouProposal")) != 0 || len(f.templates(p, "Iou")) != 1 {
			t.Fatalf("%s after accept: proposals %v, ious %v", p.id, f.templates(p, "IouProposal"), f.templates(p, "Iou"))
		}
	}
	if n := len(f.events(f.carolP)); n != 0 || f.carolP.next != 0 {
		t.Fatalf("a participant hosting no informee received %d events", f.carolP.next)
	}

	propose()
	prop2 := f.templates(f.bankP, "IouProposal")[0]
	f.block(accept(prop2), accept(prop2)) // both sequenced before any verdict
	for _, p := range []*member{f.bankP, f.traderP} {
		if len(f.templates(p, "IouProposal")) != 0 || len(f.templates(p, "Iou")) != 2 {
			t.Fatalf("%s after the double spend: proposals %v, ious %v (want 0 and 2)", p.id, f.templates(p, "IouProposal"), f.templates(p, "Iou"))
		}
	}

	// Replay: a fresh engine fed the bank participant's whole stream from counter 0 (what
	// a wiped participant does) ends with the same active contracts, and decides exactly
	// the sends that were made (all already sequenced: their ids would be deduplicated).
	for _, p := range []*member{f.bankP, f.traderP} {
		replayed := f.newEngine(f.m.Genesis().SynchronizerID, p)
		evs, err := core.ReadEvents(f.r, p.id, 0, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		var sends []string
		for _, ev := range evs {
			if err := replayed.Step(ev); err != nil {
				t.Fatal(err)
			}
			for _, s := range replayed.Ready().Sends {
				sends = append(sends, s.MessageID)
			}
		}
		if !sameIDs(replayed.ACS(), f.engines[p.id].ACS()) {
			t.Fatalf("%s: replayed ACS differs", p.id)
		}
		for _, id := range sends {
			if !f.sequenced(p, id) {
				t.Fatalf("%s: replay wants to send %s, which was never sequenced", p.id, id)
			}
		}
	}
}

func sameIDs(a, b ledger.ContractMap) bool {
	if len(a) != len(b) {
		return false
	}
	for id := range a {
		if _, ok := b[id]; !ok {
			return false
		}
	}
	return true
}

// sequenced reports whether p's stream holds the receipt of message id.
func (f *flow) sequenced(p *member, id string) bool {
	evs, _ := core.ReadEvents(f.r, p.id, 0, 1<<20)
	for _, ev := range evs {
		if ev.MessageId == id {
			return true
		}
	}
	return false
}

// TestEngineTimeout: the issuer's participant (the only confirming one: the owner is an
// observer of a proposal) never answers; when sequencer time passes
// the decision time (seen through any later event the mediator receives) the mediator
// rejects with a timeout and nothing is committed anywhere.
func TestEngineTimeout(t *testing.T) {
	f := newFlow(t)
	f.drop = map[string]bool{f.bankP.id: true} // the bank's participant goes down after submitting: its answers are lost
	f.block(f.submit(f.bankP, ledger.CreateCommand([]ledger.Party{bankParty}, ledger.TemplateID{Package: f.pkg.ID, Name: "IouProposal"}, ledger.Record{
		"issuer": ledger.PartyValue(bankParty), "owner": ledger.PartyValue(aliceParty),
		"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal("5")}, "currency": ledger.TextValue("USD"),
	})))
	if len(f.templates(f.bankP, "IouProposal")) != 0 {
		t.Fatal("committed without the issuer's confirmation")
	}
	// The mediator asks for a time proof (an empty batch to itself) after the decision time.
	f.now += 31_000_000
	f.block(f.sign(f.med, "time-proof", &pb.Batch{}))
	if len(f.results) == 0 || f.results[len(f.results)-1] != "VERDICT_REJECT timeout" {
		t.Fatalf("mediator results %v, want a timeout rejection", f.results)
	}
	for _, p := range []*member{f.bankP, f.traderP} {
		if len(f.engines[p.id].ACS()) != 0 {
			t.Fatalf("%s committed something", p.id)
		}
	}
}

// TestEngineWithheldView: a submitter that does not send a view to a participant hosting
// one of its informees is caught by the participants that do get it (the hosting
// participant is missing from the view's recipients), and the request is rejected.
func TestEngineWithheldView(t *testing.T) {
	f := newFlow(t)
	f.withhold = f.traderP.id
	f.block(f.submit(f.bankP, ledger.CreateCommand([]ledger.Party{bankParty}, ledger.TemplateID{Package: f.pkg.ID, Name: "IouProposal"}, ledger.Record{
		"issuer": ledger.PartyValue(bankParty), "owner": ledger.PartyValue(aliceParty),
		"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal("5")}, "currency": ledger.TextValue("USD"),
	})))
	if len(f.results) != 1 || !strings.HasPrefix(f.results[0], "VERDICT_REJECT") || !strings.Contains(f.results[0], "recipient") {
		t.Fatalf("mediator results %v, want a rejection naming the missing recipient", f.results)
	}
	if len(f.engines[f.bankP.id].ACS()) != 0 || len(f.engines[f.traderP.id].ACS()) != 0 {
		t.Fatal("a request with a withheld view was committed")
	}
}

// TestEnginePartyHostedWithThreshold (seed 004): alice is hosted on three participants
// with confirmation threshold 2. Her acceptance commits with one hosting participant
// stopped, and times out with two stopped.
func TestEnginePartyHostedWithThreshold(t *testing.T) {
	for _, tc := range []struct {
		stopped int
		commits bool
	}{{1, true}, {2, false}} {
		t.Run(fmt.Sprintf("%d stopped", tc.stopped), func(t *testing.T) {
			f := newHostedFlow(t, 3, 2)
			f.block(f.submit(f.bankP, ledger.CreateCommand([]ledger.Party{bankParty}, ledger.TemplateID{Package: f.pkg.ID, Name: "IouProposal"}, ledger.Record{
				"issuer": ledger.PartyValue(bankParty), "owner": ledger.PartyValue(aliceParty),
				"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal("7")}, "currency": ledger.TextValue("USD"),
			})))
			prop := f.templates(f.bankP, "IouProposal")[0]
			f.drop = map[string]bool{}
			for _, m := range f.extra[:tc.stopped] {
				f.drop[m.id] = true
			}
			f.block(f.submit(f.traderP, ledger.ExerciseCommand([]ledger.Party{aliceParty}, ledger.TemplateID{Package: f.pkg.ID, Name: "IouProposal"}, prop, "Accept", ledger.Record{})))
			if !tc.commits {
				f.now += 31_000_000
				f.block(f.sign(f.med, "time-proof", &pb.Batch{}))
			}
			last := f.results[len(f.results)-1]
			if got := len(f.templates(f.bankP, "Iou")) == 1; got != tc.commits {
				t.Fatalf("committed %v, want %v (last verdict %s)", got, tc.commits, last)
			}
			if !tc.commits && last != "VERDICT_REJECT timeout" {
				t.Fatalf("last verdict %q, want a timeout", last)
			}
		})
	}
}
