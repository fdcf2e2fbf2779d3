package mediator_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/mediator"
	pb "github.com/cometsync/cometsync/proto/mediatorpb"
)

const (
	p1, p2, p3, p4 = "PAR::p1", "PAR::p2", "PAR::p3", "PAR::p4"
	dl             = t0 + timeout // decision time of a request at t0
)

var (
	codeRejected = pb.RejectCode_REJECT_CODE_PARTICIPANT_REJECTED
	codeTimeout  = pb.RejectCode_REJECT_CODE_TIMEOUT
	codeMal      = pb.RejectCode_REJECT_CODE_MALFORMED_REQUEST
)

type coreCase struct {
	name    string
	events  func(f *fixture) []mediator.Event
	want    []verdict
	ignored []error // each must be the reason of some ignored response
}

func evs(e ...mediator.Event) []mediator.Event { return e }

var aggregationCases = []coreCase{
	{name: "approve with all parties", events: func(f *fixture) []mediator.Event {
		return evs(f.request(t0, iv(0, conf("alice"), conf("bob"), obs("carol"))),
			f.approve(t0+10, p1, t0, ps("alice")), f.approve(t0+20, p2, t0, ps("bob")))
	}, want: []verdict{approved(t0, t0+20)}},
	{name: "2 of 3 approve, one silent", events: func(f *fixture) []mediator.Event {
		return evs(f.request(t0, iv(0, conf("dec"))), f.approve(t0+1, p1, t0, ps("dec")), f.approve(t0+2, p3, t0, ps("dec")))
	}, want: []verdict{approved(t0, t0+2)}},
	{name: "2 of 3 reject before the decision time", events: func(f *fixture) []mediator.Event {
		return evs(f.request(t0, iv(0, conf("dec"))), f.reject(t0+1, p1, t0, ps("dec")), tick(t0+5),
			f.reject(t0+6, p2, t0, ps("dec")), f.approve(t0+7, p3, t0, ps("dec")))
	}, want: []verdict{rejected(t0, codeRejected, t0+6)}, ignored: []error{mediator.ErrAlreadyDecided}},
	{name: "one reject and two approvals approve", events: func(f *fixture) []mediator.Event {
		return evs(f.request(t0, iv(0, conf("dec"))), f.reject(t0+1, p1, t0, ps("dec")),
			f.approve(t0+2, p2, t0, ps("dec")), f.approve(t0+3, p3, t0, ps("dec")))
	}, want: []verdict{approved(t0, t0+3)}},
	{name: "only one of 3 answers: timeout", events: func(f *fixture) []mediator.Event {
		return evs(f.request(t0, iv(0, conf("dec"))), f.approve(t0+1, p1, t0, ps("dec")), tick(dl), tick(dl+1))
	}, want: []verdict{rejected(t0, codeTimeout, dl+1)}},
	{name: "response at the decision time counts", events: func(f *fixture) []mediator.Event {
		return evs(f.request(t0, iv(0, conf("dec"))), f.approve(t0+1, p1, t0, ps("dec")), f.approve(dl, p2, t0, ps("dec")))
	}, want: []verdict{approved(t0, dl)}},
	{name: "response after the decision time ignored", events: func(f *fixture) []mediator.Event {
		return evs(f.request(t0, iv(0, conf("dec"))), f.approve(t0+1, p1, t0, ps("dec")), f.approve(dl+1, p2, t0, ps("dec")))
	}, want: []verdict{rejected(t0, codeTimeout, dl+1)}, ignored: []error{mediator.ErrUnknownRequest}},
	{name: "duplicate responses count once", events: func(f *fixture) []mediator.Event {
		return evs(f.request(t0, iv(0, conf("dec"))), f.approve(t0+1, p1, t0, ps("dec")), f.approve(t0+2, p1, t0, ps("dec")),
			f.reject(t0+3, p1, t0, ps("dec")), f.approve(t0+4, p1, t0, ps("dec", "dec"), view(0)), tick(dl+1))
	}, want: []verdict{rejected(t0, codeTimeout, dl+1)}, ignored: []error{mediator.ErrDuplicateVote}},
	{name: "answer for a party the sender does not host", events: func(f *fixture) []mediator.Event {
		return evs(f.request(t0, iv(0, conf("alice"))), f.approve(t0+1, p2, t0, ps("alice")),
			f.reject(t0+2, p4, t0, ps("alice")), tick(dl+1))
	}, want: []verdict{rejected(t0, codeTimeout, dl+1)}, ignored: []error{mediator.ErrNotHosted}},
	{name: "observer party cannot be answered for", events: func(f *fixture) []mediator.Event {
		return evs(f.request(t0, iv(0, conf("alice"), obs("carol"))), f.approve(t0+1, p4, t0, ps("carol")),
			f.approve(t0+2, p1, t0, ps("alice")))
	}, want: []verdict{approved(t0, t0+2)}, ignored: []error{mediator.ErrNotConfirming}},
	{name: "multi-view: quorum per view and party", events: func(f *fixture) []mediator.Event {
		return evs(f.request(t0, iv(0, conf("alice"), conf("dec")), iv(1, conf("bob"), conf("dec"))),
			f.approve(t0+1, p1, t0, ps("alice", "dec"), view(0)), // dec view 0: 1
			f.approve(t0+2, p2, t0, ps("bob", "dec")),            // dec view 0: 2, view 1: 1
			tick(t0+3),
			f.approve(t0+4, p3, t0, ps("dec"), view(1))) // dec view 1: 2
	}, want: []verdict{approved(t0, t0+4)}},
	{name: "multi-view: rejection in one view rejects", events: func(f *fixture) []mediator.Event {
		return evs(f.request(t0, iv(0, conf("alice")), iv(1, conf("bob"))),
			f.approve(t0+1, p1, t0, ps("alice")), f.reject(t0+2, p2, t0, ps("bob"), view(1)))
	}, want: []verdict{rejected(t0, codeRejected, t0+2)}},
	{name: "unknown view position", events: func(f *fixture) []mediator.Event {
		return evs(f.request(t0, iv(0, conf("alice"))), f.approve(t0+1, p1, t0, ps("alice"), view(7)), tick(dl+1))
	}, want: []verdict{rejected(t0, codeTimeout, dl+1)}, ignored: []error{mediator.ErrUnknownView}},
	{name: "responses that fail request-level checks", events: func(f *fixture) []mediator.Event {
		forged := f.approve(t0+4, p1, t0, ps("alice"))
		forged.Sender = p2
		otherKey := f.approve(t0+5, p1, t0, ps("alice"))
		otherKey.Signed = f.approve(t0+5, p2, t0, ps("alice"), func(r *pb.ConfirmationResponse) { r.Sender = p1 }).Signed
		return evs(f.request(t0, iv(0, conf("alice"))),
			f.approve(t0+1, p1, t0, ps("alice"), root(rootOf("b"))),
			f.approve(t0+2, p1, t0+99, ps("alice")),
			f.approve(t0+3, p1, t0, nil),
			forged, otherKey,
			mediator.ResponseEvent{TS: t0 + 6, Sender: p1, Signed: []byte{0xff, 0x01}},
			f.approve(t0+7, p1, t0, ps("alice"), func(r *pb.ConfirmationResponse) { r.Verdict = 0 }),
			f.approve(t0+8, p1, t0, ps("alice"), func(r *pb.ConfirmationResponse) { r.SynchronizerId = "x" }),
			tick(dl+1))
	}, want: []verdict{rejected(t0, codeTimeout, dl+1)}, ignored: []error{
		mediator.ErrWrongRootHash, mediator.ErrUnknownRequest, mediator.ErrNoParties, mediator.ErrSenderMismatch,
		mediator.ErrBadSignature, mediator.ErrUndecodableResponse, mediator.ErrNoVerdict, mediator.ErrWrongSynchronizer,
	}},
	{name: "timeouts in decision time order, one event", events: func(f *fixture) []mediator.Event {
		return evs(f.request(t0, iv(0, conf("alice"))), f.request(t0+5, iv(0, conf("bob"))),
			f.request(t0+7, iv(0, conf("dec"))), f.approve(t0+8, p3, t0+7, ps("dec")), tick(dl+6))
	}, want: []verdict{rejected(t0, codeTimeout, dl+6), rejected(t0+5, codeTimeout, dl+6)}},
	{name: "duplicate request id ignored", events: func(f *fixture) []mediator.Event {
		return evs(f.request(t0, iv(0, conf("alice"))), f.request(t0, iv(0, conf("bob"))), f.approve(t0+1, p1, t0, ps("alice")))
	}, want: []verdict{approved(t0, t0+1)}},
	{name: "topology at the request's time", events: func(f *fixture) []mediator.Event {
		// From t0+1 on, alice moves to p3; the request at t0 still uses p1.
		f.topo.Set("alice", t0+1, mediator.PartyHosting{Threshold: 1, Confirmers: []string{p3}})
		return evs(f.request(t0, iv(0, conf("alice"))), f.approve(t0+2, p3, t0, ps("alice")), f.approve(t0+3, p1, t0, ps("alice")))
	}, want: []verdict{approved(t0, t0+3)}, ignored: []error{mediator.ErrNotHosted}},
}

func TestAggregation(t *testing.T) { runCases(t, aggregationCases) }

func runCases(t *testing.T, cases []coreCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.step(tc.events(f)...)
			if got := verdictsOf(f.out); !slices.Equal(got, tc.want) {
				t.Fatalf("verdicts %v, want %v", got, tc.want)
			}
			checkIgnored(t, f.recs, tc.ignored)
		})
	}
}

func checkIgnored(t *testing.T, recs []*pb.Record, want []error) {
	t.Helper()
	details := ignoredDetails(recs)
	for _, err := range want {
		if !slices.ContainsFunc(details, func(d string) bool { return strings.Contains(d, err.Error()) }) {
			t.Errorf("no response ignored with %q; ignored: %q", err, details)
		}
	}
}

func TestResultContents(t *testing.T) {
	f := newFixture(t)
	f.step(f.request(t0, iv(0, conf("alice"), obs("carol"), conf("dec"))),
		f.reject(t0+1, p1, t0, ps("alice", "dec")), f.approve(t0+2, p2, t0, ps("dec")),
		f.reject(t0+3, p3, t0, ps("dec"), rejectWith(pb.LocalRejectCode_LOCAL_REJECT_CODE_AUTHORIZATION, "no auth")))
	if len(f.out) != 1 {
		t.Fatalf("%d results", len(f.out))
	}
	r := f.out[0]
	if !slices.Equal(r.Recipients, ps(p1, p2, p3, p4)) {
		t.Errorf("recipients %v", r.Recipients)
	}
	if r.MessageID() != mediator.ResultMessageID(t0) || r.Seq != 0 || r.EventTS != t0+1 {
		t.Errorf("result %+v", r)
	}
	// alice is lost at once (threshold 1, its only participant rejected).
	res := r.Result
	if res.Mediator != medID || res.SynchronizerId != syncID || string(res.RootHash) != string(rootA) {
		t.Errorf("result header %+v", res)
	}
	if len(res.Parties) != 1 || res.Parties[0].Party != "alice" || len(res.Rejections) != 2 {
		t.Errorf("parties %v rejections %v", res.Parties, res.Rejections)
	}
	if !strings.Contains(res.RejectReason, "input locked") {
		t.Errorf("reason %q", res.RejectReason)
	}
}

func TestTimeoutNamesMissingParties(t *testing.T) {
	f := newFixture(t)
	f.step(f.request(t0, iv(0, conf("alice"), conf("dec")), iv(1, conf("bob"))),
		f.approve(t0+1, p1, t0, ps("alice", "dec")), tick(dl+1))
	res := f.out[0].Result
	var got []string
	for _, p := range res.Parties {
		got = append(got, p.Party)
	}
	if res.RejectCode != codeTimeout || !slices.Equal(got, ps("dec", "bob")) || res.Parties[0].Approvals != 1 || res.Parties[0].Threshold != 2 {
		t.Fatalf("timeout result %+v", res)
	}
}

func TestStepContract(t *testing.T) {
	f := newFixture(t)
	f.step(tick(t0))
	for _, tc := range []struct {
		ev   mediator.Event
		want error
	}{
		{nil, mediator.ErrInvalidEvent},
		{&mediator.TimeEvent{TS: t0}, mediator.ErrInvalidEvent},
		{mediator.RequestEvent{TS: t0}, mediator.ErrInvalidEvent},
		{tick(t0 - 1), mediator.ErrTimeRegression},
	} {
		if err := f.core.Step(tc.ev); !errors.Is(err, tc.want) {
			t.Errorf("Step(%#v) = %v, want %v", tc.ev, err, tc.want)
		}
	}
	if f.core.HasReady() {
		t.Error("failed steps produced output")
	}
	if err := f.core.Step(tick(t0)); err != nil {
		t.Errorf("equal timestamp: %v", err)
	}
}

func TestNewCoreValidates(t *testing.T) {
	_, err := mediator.NewCore(mediator.Config{Mediator: medID, Topology: mediator.NewMemTopology()})
	var ce *mediator.ConfigError
	if !errors.As(err, &ce) || ce.Field != "Verifier" || !errors.Is(err, mediator.ErrInvalidConfig) {
		t.Fatalf("NewCore without verifier: %v", err)
	}
}

func TestPendingAndTimeProofs(t *testing.T) {
	f := newFixture(t)
	if err := f.core.Step(f.request(t0, iv(0, conf("dec")))); err != nil {
		t.Fatal(err)
	}
	rd := f.core.Ready()
	if len(rd.TimeProofs) != 1 || rd.TimeProofs[0] != (mediator.TimeProof{RequestID: t0, After: dl}) {
		t.Fatalf("time proofs %v", rd.TimeProofs)
	}
	f.core.Advance()
	if d, ok := f.core.NextDeadline(); !ok || d != dl || !slices.Equal(f.core.Pending(), []int64{t0}) {
		t.Fatalf("deadline %d %t pending %v", d, ok, f.core.Pending())
	}
	f.step(tick(dl + 1))
	if _, ok := f.core.NextDeadline(); ok || len(f.core.Pending()) != 0 {
		t.Fatal("request still pending after timeout")
	}
}
