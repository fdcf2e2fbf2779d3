package mediator_test

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/internal/testseed"
	"github.com/cometsync/cometsync/mediator"
	pb "github.com/cometsync/cometsync/proto/mediatorpb"
)

// The checkpoint tests: a core restored from a checkpoint taken at any point, stepped the
// remaining events, produces exactly the outputs of the core that never stopped; the
// incremental changes of Ready add up to the checkpoint; checkpoints survive JSON.
//
// The seeds follow internal/testseed: a failure prints the COMETSYNC_SEED rerun command.

// config is the fixture's core configuration, without logs.
func (f *fixture) config() mediator.Config {
	return mediator.Config{Mediator: medID, SynchronizerID: syncID, Topology: f.topo, Verifier: f.vks}
}

// run steps every event into c and returns the checkpoint before each event (and after
// the last) and the Ready of each event.
func run(t testing.TB, c *mediator.Core, events []mediator.Event) ([]mediator.Checkpoint, []mediator.Ready) {
	t.Helper()
	var cps []mediator.Checkpoint
	var rds []mediator.Ready
	for _, ev := range events {
		cps = append(cps, c.Checkpoint())
		rds = append(rds, stepReady(t, c, ev))
	}
	return append(cps, c.Checkpoint()), rds
}

func stepReady(t testing.TB, c *mediator.Core, ev mediator.Event) mediator.Ready {
	t.Helper()
	if err := c.Step(ev); err != nil {
		t.Fatalf("Step(%T at %d): %v", ev, ev.Timestamp(), err)
	}
	rd := c.Ready()
	c.Advance()
	return rd
}

// viaJSON encodes cp to JSON and back, and checks that nothing is lost and that the
// encoding is deterministic.
func viaJSON(t testing.TB, cp mediator.Checkpoint) mediator.Checkpoint {
	t.Helper()
	b, err := json.Marshal(cp)
	if err != nil {
		t.Fatal(err)
	}
	var back mediator.Checkpoint
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, cp) {
		t.Fatalf("JSON round trip changed the checkpoint:\n got %+v\nwant %+v", back, cp)
	}
	if again, _ := json.Marshal(back); string(again) != string(b) {
		t.Fatalf("JSON encoding not deterministic:\n%s\n%s", again, b)
	}
	return back
}

func restore(t testing.TB, f *fixture, cp mediator.Checkpoint) *mediator.Core {
	t.Helper()
	c, err := mediator.Restore(f.config(), viaJSON(t, cp))
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if got := c.Checkpoint(); !reflect.DeepEqual(got, cp) {
		t.Fatalf("restored core's checkpoint differs:\n got %+v\nwant %+v", got, cp)
	}
	return c
}

// sameReadies compares the outputs of a restored core with the uninterrupted one's.
func sameReadies(t testing.TB, from int, got, want []mediator.Ready) {
	t.Helper()
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("restored before event %d: Ready of event %d differs:\n got %+v\nwant %+v", from, from+i, got[i], want[i])
		}
	}
}

var checkpointCases = slices.Concat(aggregationCases, []coreCase{
	{name: "rejection reason that is not UTF-8", events: func(f *fixture) []mediator.Event {
		bad := rejectWith(pb.LocalRejectCode_LOCAL_REJECT_CODE_CONSISTENCY, "locked \xff\xfe\x00 by")
		return evs(f.request(t0, iv(0, conf("dec"))), f.reject(t0+1, p1, t0, ps("dec"), bad),
			f.reject(t0+2, p2, t0, ps("dec"), bad))
	}, want: []verdict{rejected(t0, codeRejected, t0+2)}},
	{name: "malformed request, then its decision time passes", events: func(f *fixture) []mediator.Event {
		return evs(f.requestTree(t0, treeMsg(rootA)), f.approve(t0+1, p1, t0, ps("alice")), tick(dl+1))
	}, want: []verdict{rejected(t0, pb.RejectCode_REJECT_CODE_NO_VIEWS, t0)}, ignored: []error{mediator.ErrAlreadyDecided}},
})

// TestCheckpointRestoreCases: for every aggregation case and every point in it, a core
// restored there gives the remaining events' outputs exactly.
func TestCheckpointRestoreCases(t *testing.T) {
	for _, tc := range checkpointCases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			events := tc.events(f)
			cps, want := run(t, f.newCoreQuiet(), events)
			var all []mediator.Result
			for _, rd := range want {
				all = append(all, rd.Results...)
			}
			if got := verdictsOf(all); !slices.Equal(got, tc.want) {
				t.Fatalf("verdicts %v, want %v", got, tc.want)
			}
			for k := range cps {
				c := restore(t, f, cps[k])
				rest, got := run(t, c, events[k:])
				sameReadies(t, k, got, want[k:])
				if !reflect.DeepEqual(rest[len(rest)-1], cps[len(cps)-1]) {
					t.Fatalf("restored before event %d: final checkpoint differs", k)
				}
			}
		})
	}
}

// TestCheckpointRestoreRandomized: at every point of a random run, a restored core steps
// the next event exactly like the uninterrupted one and ends in the same state (so, by
// induction, it does for the whole rest); from every 50th point the whole rest is
// compared too.
func TestCheckpointRestoreRandomized(t *testing.T) {
	for _, seed := range randomSeeds(t) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			s := genScenario(t, rand.New(rand.NewPCG(seed, 13)), 300)
			cps, want := run(t, s.f.newCoreQuiet(), s.events)
			for i, ev := range s.events {
				c := restore(t, s.f, cps[i])
				if got := stepReady(t, c, ev); !reflect.DeepEqual(got, want[i]) {
					t.Fatalf("seed %d: restored before event %d: Ready differs (rerun with %s):\n got %+v\nwant %+v", seed, i, testseed.Rerun(t, seed), got, want[i])
				}
				if !reflect.DeepEqual(c.Checkpoint(), cps[i+1]) {
					t.Fatalf("seed %d: restored before event %d: state after it differs (rerun with %s)", seed, i, testseed.Rerun(t, seed))
				}
				if i%50 == 0 {
					_, got := run(t, restore(t, s.f, cps[i]), s.events[i:])
					sameReadies(t, i, got, want[i:])
				}
			}
			if s.f.t.Failed() {
				return
			}
			t.Logf("seed %d: %d events, %d checkpoints restored", seed, len(s.events), len(cps))
		})
	}
}

// TestCheckpointIncremental: Changed and Forgotten, applied to the requests of the
// previous checkpoint, give the next checkpoint's, whether Ready is collected after every
// event or every few; and they name only requests that did change.
func TestCheckpointIncremental(t *testing.T) {
	for _, seed := range randomSeeds(t) {
		for _, chunk := range []int{1, 7} {
			s := genScenario(t, rand.New(rand.NewPCG(seed, 17)), 300)
			c := s.f.newCoreQuiet()
			held := map[int64]mediator.RequestState{}
			changes := 0
			for i, ev := range s.events {
				if err := c.Step(ev); err != nil {
					t.Fatal(err)
				}
				if (i+1)%chunk != 0 && i != len(s.events)-1 {
					continue
				}
				rd := c.Ready()
				if c.HasReady() != (len(rd.Changed)+len(rd.Forgotten)+len(rd.Records)+len(rd.Results)+len(rd.TimeProofs) > 0) {
					t.Fatalf("seed %d chunk %d: HasReady %t, Ready %+v", seed, chunk, c.HasReady(), rd)
				}
				changes += applyChanges(t, held, rd)
				c.Advance()
				cp := c.Checkpoint()
				if got := slices.SortedFunc(maps.Values(held), byID); !sameStates(got, cp.Requests) || cp.Meta != c.Meta() {
					t.Fatalf("seed %d chunk %d: after event %d the changes add up to\n%+v\nthe checkpoint holds\n%+v (rerun with %s)", seed, chunk, i, got, cp.Requests, testseed.Rerun(t, seed))
				}
			}
			if changes == 0 {
				t.Fatalf("seed %d: no request changed", seed)
			}
		}
	}
}

// applyChanges applies rd's changes to held, checking that each is one: a new request or
// a different state of a held one, and a forgotten request that was held.
func applyChanges(t *testing.T, held map[int64]mediator.RequestState, rd mediator.Ready) int {
	t.Helper()
	if !slices.IsSortedFunc(rd.Changed, byID) || !slices.IsSorted(rd.Forgotten) {
		t.Fatalf("changes not sorted: %v %v", rd.Changed, rd.Forgotten)
	}
	for _, id := range rd.Forgotten {
		if _, ok := held[id]; !ok {
			t.Fatalf("request %d forgotten, but not held", id)
		}
		delete(held, id)
	}
	for _, st := range rd.Changed {
		if old, ok := held[st.ID]; ok && reflect.DeepEqual(old, st) {
			t.Fatalf("request %d reported changed, but is the same", st.ID)
		}
		held[st.ID] = st
	}
	return len(rd.Changed) + len(rd.Forgotten)
}

func byID(a, b mediator.RequestState) int { return cmp.Compare(a.ID, b.ID) }

func sameStates(a, b []mediator.RequestState) bool {
	return len(a) == 0 && len(b) == 0 || reflect.DeepEqual(a, b)
}

// badCheckpointBase is a checkpoint with an undecided request at t0 (alice unanswered;
// dec approved by p1, rejected by p3) and one decided at t0+5.
func badCheckpointBase(t *testing.T, f *fixture) mediator.Checkpoint {
	c := f.newCoreQuiet()
	for _, ev := range evs(f.request(t0, iv(0, conf("alice"), conf("dec"))), f.approve(t0+1, p1, t0, ps("dec")),
		f.reject(t0+2, p3, t0, ps("dec")), f.request(t0+5, iv(0, conf("bob"))), f.approve(t0+6, p2, t0+5, ps("bob"))) {
		stepReady(t, c, ev)
	}
	cp := c.Checkpoint()
	if len(cp.Requests) != 2 || cp.Requests[0].Decided || !cp.Requests[1].Decided || len(cp.Requests[0].Rejections) != 1 {
		t.Fatalf("base checkpoint %+v", cp)
	}
	return cp
}

func TestRestoreRejectsBadCheckpoints(t *testing.T) {
	f := newFixture(t)
	base := badCheckpointBase(t, f)
	if _, err := mediator.Restore(f.config(), base); err != nil {
		t.Fatalf("base checkpoint: %v", err)
	}
	dec := func(cp *mediator.Checkpoint) *mediator.TallyState { return &cp.Requests[0].Views[0].Parties[1] }
	for _, tc := range []struct {
		name    string
		request int64 // -1: the meta
		reason  string
		mutate  func(cp *mediator.Checkpoint)
	}{
		{"requests before any event", -1, "no event observed", func(cp *mediator.Checkpoint) { cp.Meta = mediator.Meta{} }},
		{"requests out of order", t0, "not sorted by id", func(cp *mediator.Checkpoint) {
			cp.Requests[0], cp.Requests[1] = cp.Requests[1], cp.Requests[0]
		}},
		{"request twice", t0 + 5, "not sorted by id and distinct", func(cp *mediator.Checkpoint) { cp.Requests[0] = cp.Requests[1] }},
		{"request from the future", t0 + 5, "after the last observed timestamp", func(cp *mediator.Checkpoint) { cp.Meta.Last = t0 + 4 }},
		{"request that should be forgotten", t0, "should have been forgotten", func(cp *mediator.Checkpoint) { cp.Meta.Last = dl + 1 }},
		{"decision time not after the request", t0, "not after the request", func(cp *mediator.Checkpoint) {
			cp.Requests, cp.Meta.Last = cp.Requests[:1], t0
			cp.Requests[0].Decision = t0
		}},
		{"undecided without views", t0, "undecided without views", func(cp *mediator.Checkpoint) { cp.Requests[0].Views = nil }},
		{"recipients unsorted", t0, "recipients not sorted", func(cp *mediator.Checkpoint) { slices.Reverse(cp.Requests[0].Recipients) }},
		{"view twice", t0, "view 0 appears twice", func(cp *mediator.Checkpoint) {
			cp.Requests[0].Views = append(cp.Requests[0].Views, cp.Requests[0].Views[0])
		}},
		{"view without parties", t0, "no confirming party", func(cp *mediator.Checkpoint) { cp.Requests[0].Views[0].Parties = nil }},
		{"parties unsorted", t0, "parties not sorted", func(cp *mediator.Checkpoint) { slices.Reverse(cp.Requests[0].Views[0].Parties) }},
		{"threshold 0", t0, "threshold 0 with 3", func(cp *mediator.Checkpoint) { dec(cp).Threshold = 0 }},
		{"threshold above confirmers", t0, "threshold 4 with 3", func(cp *mediator.Checkpoint) { dec(cp).Threshold = 4 }},
		{"confirmers unsorted", t0, "confirming participants not sorted", func(cp *mediator.Checkpoint) { slices.Reverse(dec(cp).Confirmers) }},
		{"vote by a non-confirmer", t0, "vote by PAR::p4", func(cp *mediator.Checkpoint) {
			dec(cp).Votes = append(dec(cp).Votes, mediator.Vote{Participant: p4, Approve: true})
		}},
		{"votes unsorted", t0, "votes not sorted", func(cp *mediator.Checkpoint) { slices.Reverse(dec(cp).Votes) }},
		{"rejection undecodable", t0, "rejection 0 does not decode", func(cp *mediator.Checkpoint) { cp.Requests[0].Rejections[0] = []byte{0xff} }},
		{"rejection without its vote", t0, "has no reject vote", func(cp *mediator.Checkpoint) { dec(cp).Votes = dec(cp).Votes[:1] }},
		{"rejection twice", t0, "or a second rejection", func(cp *mediator.Checkpoint) {
			cp.Requests[0].Rejections = append(cp.Requests[0].Rejections, cp.Requests[0].Rejections[0])
		}},
		{"reject vote without its rejection", t0, "1 reject votes have no rejection", func(cp *mediator.Checkpoint) { cp.Requests[0].Rejections = nil }},
		{"undecided but settled", t0, "its votes settle it", func(cp *mediator.Checkpoint) {
			cp.Requests[0].Views[0].Parties[0].Votes = []mediator.Vote{{Participant: p1, Approve: true}}
			dec(cp).Votes = append(dec(cp).Votes[:1], mediator.Vote{Participant: p2, Approve: true}, dec(cp).Votes[1])
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cp := viaJSON(t, base) // a deep copy
			tc.mutate(&cp)
			_, err := mediator.Restore(f.config(), cp)
			var ce *mediator.CheckpointError
			if !errors.As(err, &ce) || !errors.Is(err, mediator.ErrInvalidCheckpoint) || ce.Request != tc.request || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("Restore = %v, want a checkpoint error for request %d with %q", err, tc.request, tc.reason)
			}
		})
	}
	if _, err := mediator.Restore(mediator.Config{}, base); !errors.Is(err, mediator.ErrInvalidConfig) {
		t.Fatalf("Restore without config: %v", err)
	}
}

// TestRestoreEmpty: the checkpoint of a new core restores to a core equivalent to a new one.
func TestRestoreEmpty(t *testing.T) {
	f := newFixture(t)
	cp := f.newCoreQuiet().Checkpoint()
	if cp.Meta != (mediator.Meta{}) || cp.Requests != nil {
		t.Fatalf("new core's checkpoint %+v", cp)
	}
	c := restore(t, f, cp)
	if c.HasReady() || c.PendingCount() != 0 {
		t.Fatal("restored empty core has outputs or requests")
	}
}
