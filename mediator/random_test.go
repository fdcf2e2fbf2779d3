package mediator_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cometsync/cometsync/internal/testseed"
	"github.com/cometsync/cometsync/mediator"
	pb "github.com/cometsync/cometsync/proto/mediatorpb"
)

// The randomized test feeds random requests (some malformed), responses (some invalid)
// and time observations to the core and compares its verdicts, their order and the events
// that produced them with a reference model written from the rules in doc.go.
//
// The seeds follow internal/testseed: a failure prints the COMETSYNC_SEED rerun command.

func randomSeeds(t *testing.T) []uint64 {
	t.Helper()
	return testseed.Seeds(t, 1, 2, 3, 4, 5, rand.Uint64())
}

var randomParties = []string{"q0", "q1", "q2", "q3", "q4", "q5"}

// scenario is a generated run: the topology and the events, with the decoded form of each
// response for the reference model.
type scenario struct {
	f      *fixture
	events []mediator.Event
	resps  map[int]*pb.ConfirmationResponse // by event index
	trees  map[int]*pb.InformeeTree         // by event index
	byID   map[int64]*pb.InformeeTree       // by request id
}

func genScenario(t testing.TB, rng *rand.Rand, n int) *scenario {
	s := &scenario{f: newFixture(t), resps: map[int]*pb.ConfirmationResponse{}, trees: map[int]*pb.InformeeTree{}, byID: map[int64]*pb.InformeeTree{}}
	for _, p := range randomParties {
		s.f.topo.Set(p, 0, randomHosting(rng))
		if rng.IntN(3) == 0 { // a later change that only later requests see
			s.f.topo.Set(p, t0+int64(rng.IntN(5000)), randomHosting(rng))
		}
	}
	ts := t0
	var reqs []int64
	for i := range n {
		ts += int64(rng.IntN(3)) * int64(rng.IntN(60))
		switch k := rng.IntN(20); {
		case k < 3 || len(reqs) == 0:
			if len(reqs) > 0 && reqs[len(reqs)-1] == ts {
				ts++
			}
			ev, tree := s.genRequest(rng, ts)
			s.events, s.trees[i], s.byID[ts] = append(s.events, ev), tree, tree
			reqs = append(reqs, ts)
		case k < 18:
			ev, r := s.genResponse(rng, ts, reqs[max(0, len(reqs)-1-rng.IntN(3))])
			s.events, s.resps[i] = append(s.events, ev), r
		default:
			s.events = append(s.events, tick(ts))
		}
	}
	return s
}

func randomHosting(rng *rand.Rand) mediator.PartyHosting {
	var h mediator.PartyHosting
	for _, p := range participants {
		switch rng.IntN(4) {
		case 0, 1:
			h.Confirmers = append(h.Confirmers, p)
		case 2:
			h.Observers = append(h.Observers, p)
		}
	}
	if len(h.Confirmers) == 0 && rng.IntN(10) > 0 {
		h.Confirmers = []string{participants[rng.IntN(len(participants))]}
		h.Observers = slices.DeleteFunc(h.Observers, func(p string) bool { return p == h.Confirmers[0] })
	}
	h.Threshold = 1 + rng.IntN(max(1, len(h.Confirmers)))
	if rng.IntN(20) == 0 {
		h.Threshold++
	}
	return h
}

func (s *scenario) genRequest(rng *rand.Rand, ts int64) (mediator.RequestEvent, *pb.InformeeTree) {
	root := rootOf(fmt.Sprint("root", ts))
	var views []*pb.InformeeView
	for pos := range 1 + rng.IntN(2) {
		parties := slices.Clone(randomParties)
		rng.Shuffle(len(parties), func(i, j int) { parties[i], parties[j] = parties[j], parties[i] })
		parties = parties[:1+rng.IntN(3)]
		slices.Sort(parties)
		v := iv(uint32(pos))
		for _, p := range parties {
			v.Informees = append(v.Informees, &pb.Informee{Party: p, Confirming: rng.IntN(10) < 8})
		}
		views = append(views, v)
	}
	tree := treeMsg(root, views...)
	hosts := s.f.hosts(ts, views)
	var msgs []mediator.RootHashMessage
	switch k := rng.IntN(20); {
	case k == 0: // none
	case k == 1:
		msgs = []mediator.RootHashMessage{rhm(rootOf("other"), hosts...)}
	case k == 2 && len(hosts) > 0:
		msgs = []mediator.RootHashMessage{rhm(root, hosts[1:]...)}
	default:
		for _, h := range hosts {
			msgs = append(msgs, rhm(root, h))
		}
		if len(msgs) == 0 {
			msgs = []mediator.RootHashMessage{rhm(root)}
		}
	}
	ev := mediator.RequestEvent{TS: ts, InformeeTree: mustMarshal(s.f.t, tree), RootHashMessages: msgs, DecisionTimeout: 200 + int64(rng.IntN(1000))}
	return ev, tree
}

func (s *scenario) genResponse(rng *rand.Rand, ts, req int64) (mediator.ResponseEvent, *pb.ConfirmationResponse) {
	// Mostly a confirming participant answering for a party of the request.
	var parties []string
	sender := participants[rng.IntN(len(participants))]
	tree := s.byID[req]
	for range (1 + rng.IntN(2)) * min(1, rng.IntN(20)) {
		party := randomParties[rng.IntN(len(randomParties))]
		if v := tree.Views[rng.IntN(len(tree.Views))]; rng.IntN(10) < 8 {
			party = v.Informees[rng.IntN(len(v.Informees))].Party
		}
		parties = append(parties, party)
	}
	if len(parties) > 0 && rng.IntN(10) < 8 {
		if c := s.f.topo.Hosting(parties[0], req).Confirmers; len(c) > 0 {
			sender = c[rng.IntN(len(c))]
		}
	}
	slices.Sort(parties)
	r := &pb.ConfirmationResponse{
		Sender: sender, RequestIdMicros: req, RootHash: rootOf(fmt.Sprint("root", req)), AllViews: rng.IntN(2) == 0,
		ViewPosition: uint32(rng.IntN(3)), ConfirmingParties: parties, Verdict: pb.Verdict_VERDICT_APPROVE, SynchronizerId: syncID,
	}
	if rng.IntN(6) == 0 {
		r.Verdict, r.RejectCode, r.RejectReason = pb.Verdict_VERDICT_REJECT, pb.LocalRejectCode_LOCAL_REJECT_CODE_CONSISTENCY, "locked"
	}
	if rng.IntN(20) == 0 {
		r.RootHash = rootA
	}
	return s.f.signed(ts, sender, r), r
}

func TestRandomizedAgainstReference(t *testing.T) {
	for _, seed := range randomSeeds(t) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			s := genScenario(t, rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), 400)
			s.f.core = s.f.newCoreQuiet()
			s.f.step(s.events...)
			want := newRefModel(s).run()
			got := describe(s.f.out)
			if !slices.Equal(got, want) {
				t.Fatalf("seed %d: verdicts differ (rerun with %s)\n%s", seed, testseed.Rerun(t, seed), diff(got, want))
			}
			t.Logf("seed %d: %d events, %d verdicts", seed, len(s.events), len(got))
		})
	}
}

func describe(rs []mediator.Result) []string {
	var out []string
	for _, r := range rs {
		res := r.Result
		line := fmt.Sprintf("req %d %v %v at %d", res.RequestIdMicros, res.Verdict, res.RejectCode, res.DecidedAtMicros)
		for _, p := range res.Parties {
			line += fmt.Sprintf(" %d/%s:%d/%d", p.ViewPosition, p.Party, p.Approvals, p.Threshold)
		}
		out = append(out, line)
	}
	return out
}

func diff(got, want []string) string {
	var b bytes.Buffer
	for i := range max(len(got), len(want)) {
		g, w := "-", "-"
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		mark := "  "
		if g != w {
			mark = "!!"
		}
		fmt.Fprintf(&b, "%s got  %s\n%s want %s\n", mark, g, mark, w)
	}
	return b.String()
}

// TestReplayDeterminism: the same events into fresh cores, with Ready collected after
// every event or in chunks, give byte-identical outputs.
func TestReplayDeterminism(t *testing.T) {
	for _, seed := range randomSeeds(t) {
		s := genScenario(t, rand.New(rand.NewPCG(seed, 7)), 300)
		a := outputBytes(t, s, s.f.newCoreQuiet(), 1)
		b := outputBytes(t, s, s.f.newCoreQuiet(), 17)
		if !bytes.Equal(a, b) {
			t.Fatalf("seed %d: outputs differ between replays (rerun with %s)", seed, testseed.Rerun(t, seed))
		}
		if len(a) == 0 {
			t.Fatal("no outputs")
		}
	}
}

// outputBytes steps every event and serializes everything Ready returned, collecting it
// every chunk events.
func outputBytes(t *testing.T, s *scenario, c *mediator.Core, chunk int) []byte {
	var res, recs, proofs bytes.Buffer
	collect := func() {
		rd := c.Ready()
		for _, r := range rd.Results {
			fmt.Fprintf(&res, "%d %d %q ", r.Seq, r.EventTS, r.Recipients)
			res.Write(mustMarshal(t, r.Result))
		}
		for _, r := range rd.Records {
			recs.Write(binary.AppendUvarint(nil, uint64(r.Size())))
			recs.Write(mustMarshal(t, r))
		}
		for _, p := range rd.TimeProofs {
			fmt.Fprintf(&proofs, "%d>%d;", p.RequestID, p.After)
		}
		c.Advance()
	}
	for i, ev := range s.events {
		if err := c.Step(ev); err != nil {
			t.Fatal(err)
		}
		if (i+1)%chunk == 0 {
			collect()
		}
	}
	collect()
	return slices.Concat(res.Bytes(), recs.Bytes(), proofs.Bytes())
}
