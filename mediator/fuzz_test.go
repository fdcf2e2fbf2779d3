package mediator_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cometsync/cometsync/mediator"
	pb "github.com/cometsync/cometsync/proto/mediatorpb"
	"github.com/cometsync/cometsync/protocol"
)

// Fuzz targets for the decoders the network reaches through Step: the signed response a
// participant sends and the informee tree a submitter sends. Step must never panic or
// fail on such bytes, and every request gets at most one result.
//
//	go test -tags badgerdb -fuzz FuzzStepResponse ./mediator
//
// The seed corpus under testdata/fuzz is rewritten by COMETSYNC_WRITE_CORPUS=1 go test
// -tags badgerdb -run TestWriteFuzzCorpus ./mediator.

type fuzzSeed struct {
	name string
	data []byte
	flag bool
}

// responseSeeds: flag true means data is the inner response and the fuzz body signs it
// with p1's key.
func responseSeeds(f *fixture) []fuzzSeed {
	r := &pb.ConfirmationResponse{Sender: p1, RequestIdMicros: t0, RootHash: rootA, AllViews: true,
		ConfirmingParties: ps("alice", "dec"), Verdict: pb.Verdict_VERDICT_APPROVE, SynchronizerId: syncID}
	rej := *r
	rej.Verdict, rej.AllViews, rej.RejectCode, rej.RejectReason = pb.Verdict_VERDICT_REJECT, false, pb.LocalRejectCode_LOCAL_REJECT_CODE_CONFORMANCE, "differs"
	return []fuzzSeed{
		{"approve-signed", f.signed(t0+1, p1, r).Signed, false},
		{"approve-inner", mustMarshal(f.t, r), true},
		{"reject-view-inner", mustMarshal(f.t, &rej), true},
		{"empty", nil, false},
		{"garbage", []byte{0x0a, 0x80, 0x01}, true},
	}
}

func requestSeeds(f *fixture) []fuzzSeed {
	return []fuzzSeed{
		{"two-views", mustMarshal(f.t, treeMsg(rootA, iv(0, conf("alice"), obs("carol")), iv(1, conf("dec")))), true},
		{"no-views", mustMarshal(f.t, treeMsg(rootA)), true},
		{"mismatch", mustMarshal(f.t, treeMsg(rootA, iv(0, conf("bob")))), false},
		{"empty", nil, true},
		{"garbage", []byte{0x1a, 0x05, 0x08}, true},
	}
}

// fuzzPrepare is a core with one pending request at t0 for alice and dec.
func fuzzPrepare(t testing.TB) *fixture {
	f := newFixture(t)
	f.core = f.newCoreQuiet()
	f.step(f.request(t0, iv(0, conf("alice")), iv(1, conf("dec"))))
	return f
}

func FuzzStepResponse(ff *testing.F) {
	for _, s := range responseSeeds(newFixture(ff)) {
		ff.Add(s.data, s.flag)
	}
	ff.Fuzz(func(t *testing.T, data []byte, sign bool) {
		f := fuzzPrepare(t)
		signed := data
		if sign {
			signed = mustMarshal(t, &pb.SignedConfirmationResponse{Response: data,
				Signature: f.keys[p1].SignHash(protocol.ResponseDigest(data)), SigningKey: string(f.keys[p1].Fingerprint())})
		}
		f.step(mediator.ResponseEvent{TS: t0 + 1, Sender: p1, Signed: signed}, mediator.ResponseEvent{TS: t0 + 2, Sender: p1, Signed: signed}, tick(dl+1))
		checkOneResultPerRequest(t, f.out)
	})
}

func FuzzStepRequest(ff *testing.F) {
	for _, s := range requestSeeds(newFixture(ff)) {
		ff.Add(s.data, s.flag)
	}
	ff.Fuzz(func(t *testing.T, tree []byte, withMessages bool) {
		f := fuzzPrepare(t)
		var msgs []mediator.RootHashMessage
		if withMessages {
			msgs = []mediator.RootHashMessage{rhm(rootA, p1, p2, p3, p4)}
		}
		f.step(mediator.RequestEvent{TS: t0 + 1, InformeeTree: tree, RootHashMessages: msgs, DecisionTimeout: timeout},
			f.approve(t0+2, p1, t0+1, ps("alice", "dec")), tick(dl+2))
		checkOneResultPerRequest(t, f.out)
		// Malformed at once or timed out by dl+2: the request is decided either way.
		if !slices.ContainsFunc(f.out, func(r mediator.Result) bool { return r.Result.RequestIdMicros == t0+1 }) {
			t.Fatalf("request at %d got no result: %v", t0+1, verdictsOf(f.out))
		}
	})
}

func checkOneResultPerRequest(t *testing.T, rs []mediator.Result) {
	seen := map[int64]bool{}
	for i, r := range rs {
		if seen[r.Result.RequestIdMicros] || r.Seq != uint64(i) {
			t.Fatalf("results %v", verdictsOf(rs))
		}
		seen[r.Result.RequestIdMicros] = true
	}
}

func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("COMETSYNC_WRITE_CORPUS") == "" {
		t.Skip("set COMETSYNC_WRITE_CORPUS=1 to rewrite testdata/fuzz")
	}
	f := newFixture(t)
	write := func(target string, seeds []fuzzSeed) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, s := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nbool(%t)\n", s.data, s.flag)
			if err := os.WriteFile(filepath.Join(dir, "seed-"+s.name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("FuzzStepResponse", responseSeeds(f))
	write("FuzzStepRequest", requestSeeds(f))
}
