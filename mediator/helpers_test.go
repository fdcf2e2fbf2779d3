package mediator_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/mediator"
	pb "github.com/cometsync/cometsync/proto/mediatorpb"
	"github.com/cometsync/cometsync/protocol"
)

const (
	t0      = int64(1_000_000)
	timeout = int64(1_000)
	syncID  = "sync::1220aa"
	medID   = "MED::m0"
)

var participants = []string{"PAR::p1", "PAR::p2", "PAR::p3", "PAR::p4"}

// fixture is a mediator core over an in-memory topology:
//
//	alice  threshold 1 on p1
//	bob    threshold 1 on p2
//	dec    threshold 2 on p1, p2, p3 (the decentralized party of seed 004)
//	carol  observed only, by p4
type fixture struct {
	t    testing.TB
	topo *mediator.MemTopology
	keys map[string]crypto.SigningPrivateKey
	vks  protocol.StaticKeys
	core *mediator.Core
	out  []mediator.Result
	recs []*pb.Record
}

func newFixture(t testing.TB) *fixture {
	f := &fixture{t: t, topo: mediator.NewMemTopology(), keys: map[string]crypto.SigningPrivateKey{}, vks: protocol.StaticKeys{}}
	for i, p := range participants {
		f.addKey(p, byte(i+1))
	}
	f.topo.Set("alice", 0, mediator.PartyHosting{Threshold: 1, Confirmers: []string{"PAR::p1"}})
	f.topo.Set("bob", 0, mediator.PartyHosting{Threshold: 1, Confirmers: []string{"PAR::p2"}})
	f.topo.Set("dec", 0, mediator.PartyHosting{Threshold: 2, Confirmers: []string{"PAR::p1", "PAR::p2", "PAR::p3"}})
	f.topo.Set("carol", 0, mediator.PartyHosting{Observers: []string{"PAR::p4"}})
	f.core = f.newCore()
	return f
}

func (f *fixture) addKey(member string, seed byte) {
	k, err := crypto.SigningKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		f.t.Fatal(err)
	}
	f.keys[member] = k
	f.vks[member] = []crypto.SigningPublicKey{k.Public()}
}

func (f *fixture) newCore() *mediator.Core {
	c, err := mediator.NewCore(mediator.Config{
		Mediator: medID, SynchronizerID: syncID, Topology: f.topo, Verifier: f.vks,
		Logger: slog.New(slog.NewTextHandler(testWriter{f.t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// testWriter routes logs to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// step feeds events and collects the outputs.
func (f *fixture) step(evs ...mediator.Event) {
	f.t.Helper()
	for _, ev := range evs {
		if err := f.core.Step(ev); err != nil {
			f.t.Fatalf("Step(%T at %d): %v", ev, ev.Timestamp(), err)
		}
		rd := f.core.Ready()
		f.out = append(f.out, rd.Results...)
		f.recs = append(f.recs, rd.Records...)
		f.core.Advance()
	}
}

func rootOf(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

var rootA = rootOf("a")

// conf and obs build informees.
func conf(p string) *pb.Informee { return &pb.Informee{Party: p, Confirming: true} }
func obs(p string) *pb.Informee  { return &pb.Informee{Party: p} }

// iv builds a view; informees must be given sorted by party.
func iv(pos uint32, infs ...*pb.Informee) *pb.InformeeView {
	return &pb.InformeeView{Position: pos, ViewHash: rootOf(fmt.Sprint("view", pos)), Informees: infs}
}

func treeMsg(root []byte, views ...*pb.InformeeView) *pb.InformeeTree {
	return &pb.InformeeTree{RootHash: root, Views: views, Metadata: &pb.RequestMetadata{
		SubmittingParticipant: "PAR::p1", Submitters: []string{"alice"}, LedgerTimeMicros: t0, SynchronizerId: syncID,
	}}
}

func mustMarshal(t testing.TB, m interface{ Marshal() ([]byte, error) }) []byte {
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hosts returns every participant hosting an informee of the views.
func (f *fixture) hosts(at int64, views []*pb.InformeeView) []string {
	var out []string
	for _, v := range views {
		for _, inf := range v.Informees {
			h := f.topo.Hosting(inf.Party, at)
			out = append(append(out, h.Confirmers...), h.Observers...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// request is a well-formed request at ts with root hash rootA and a root hash message for
// every hosting participant.
func (f *fixture) request(ts int64, views ...*pb.InformeeView) mediator.RequestEvent {
	return f.requestTree(ts, treeMsg(rootA, views...), rhm(rootA, f.hosts(ts, views)...))
}

func (f *fixture) requestTree(ts int64, t *pb.InformeeTree, msgs ...mediator.RootHashMessage) mediator.RequestEvent {
	return mediator.RequestEvent{TS: ts, InformeeTree: mustMarshal(f.t, t), RootHashMessages: msgs, DecisionTimeout: timeout}
}

func rhm(root []byte, to ...string) mediator.RootHashMessage {
	return mediator.RootHashMessage{RootHash: root, Recipients: to}
}

// respOpt modifies a response before it is signed.
type respOpt func(*pb.ConfirmationResponse)

func view(pos uint32) respOpt {
	return func(r *pb.ConfirmationResponse) { r.AllViews, r.ViewPosition = false, pos }
}
func root(h []byte) respOpt { return func(r *pb.ConfirmationResponse) { r.RootHash = h } }
func rejectWith(code pb.LocalRejectCode, why string) respOpt {
	return func(r *pb.ConfirmationResponse) {
		r.Verdict, r.RejectCode, r.RejectReason = pb.Verdict_VERDICT_REJECT, code, why
	}
}

// approve is sender's approval at ts of request req for parties, on all views.
func (f *fixture) approve(ts int64, sender string, req int64, parties []string, opts ...respOpt) mediator.ResponseEvent {
	r := &pb.ConfirmationResponse{
		Sender: sender, RequestIdMicros: req, RootHash: rootA, AllViews: true, ConfirmingParties: parties,
		Verdict: pb.Verdict_VERDICT_APPROVE, SynchronizerId: syncID,
	}
	for _, o := range opts {
		o(r)
	}
	return f.signed(ts, sender, r)
}

func (f *fixture) reject(ts int64, sender string, req int64, parties []string, opts ...respOpt) mediator.ResponseEvent {
	return f.approve(ts, sender, req, parties, append([]respOpt{rejectWith(pb.LocalRejectCode_LOCAL_REJECT_CODE_CONSISTENCY, "input locked")}, opts...)...)
}

// signed signs r with signer's key; the event's sender is r.Sender.
func (f *fixture) signed(ts int64, signer string, r *pb.ConfirmationResponse) mediator.ResponseEvent {
	key, ok := f.keys[signer]
	if !ok {
		f.t.Fatalf("no key for %s", signer)
	}
	b, err := protocol.SignResponse(key, r)
	if err != nil {
		f.t.Fatal(err)
	}
	return mediator.ResponseEvent{TS: ts, Sender: r.Sender, Signed: b}
}

func tick(ts int64) mediator.TimeEvent { return mediator.TimeEvent{TS: ts} }

func ps(p ...string) []string { return p }

// verdict summarizes a result for comparisons.
type verdict struct {
	req  int64
	v    pb.Verdict
	code pb.RejectCode
	at   int64
}

func (v verdict) String() string {
	return fmt.Sprintf("{req %d %v %v at %d}", v.req, v.v, v.code, v.at)
}

func approved(req, at int64) verdict { return verdict{req, pb.Verdict_VERDICT_APPROVE, 0, at} }
func rejected(req int64, code pb.RejectCode, at int64) verdict {
	return verdict{req, pb.Verdict_VERDICT_REJECT, code, at}
}

func verdictsOf(rs []mediator.Result) []verdict {
	out := make([]verdict, 0, len(rs))
	for _, r := range rs {
		out = append(out, verdict{r.Result.RequestIdMicros, r.Result.Verdict, r.Result.RejectCode, r.Result.DecidedAtMicros})
	}
	return out
}

// ignored returns the details of the RESPONSE_IGNORED records.
func ignoredDetails(recs []*pb.Record) []string {
	var out []string
	for _, r := range recs {
		if r.Kind == pb.RecordKind_RECORD_KIND_RESPONSE_IGNORED {
			out = append(out, r.Detail)
		}
	}
	return out
}

// newCoreQuiet is a core that does not log (for long randomized runs).
func (f *fixture) newCoreQuiet() *mediator.Core {
	c, err := mediator.NewCore(mediator.Config{Mediator: medID, SynchronizerID: syncID, Topology: f.topo, Verifier: f.vks})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}
