package core_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// fuzzSeeds returns named seed inputs for the fuzzers: signed submissions valid at t0 for
// stdFixture, and broken variants. asRequest marks request bytes that FuzzCheckTx signs.
func fuzzSeeds(f *fixture) []struct {
	name      string
	data      []byte
	asRequest bool
} {
	alice, bob, carol := f.id("PAR::alice"), f.id("PAR::bob"), f.id("PAR::carol")
	direct := request(alice, "m1", t0+100, envelope("hello", to(bob)))
	groups := request(bob, "m2", t0+100, envelope("e0", allMembers), envelope("e1", mediators(0), sequencers), envelope("e2", to(carol), to(alice)))
	bad := mustMarshal(&pb.SignedSubmission{Request: mustMarshal(direct), Signature: make([]byte, 64), SigningKey: string(f.keys[alice].Fingerprint())})
	type seed = struct {
		name      string
		data      []byte
		asRequest bool
	}
	return []seed{
		{"valid-direct", f.sign(direct), false},
		{"valid-groups", f.sign(groups), false},
		{"expired", f.sign(request(carol, "m3", t0-1, envelope("late", to(bob)))), false},
		{"unknown-recipient", f.sign(request(alice, "m4", t0+100, envelope("x", to(memberID("PAR::nobody"))))), false},
		{"bad-signature", bad, false},
		{"junk", []byte("\x0a\x05hello\x12"), false},
		{"request-direct", mustMarshal(direct), true},
		{"request-groups", mustMarshal(groups), true},
		{"request-topology-manager", mustMarshal(request(carol, "m5", t0+100, envelope("tm", topoMgr))), true},
	}
}

func FuzzDecodeSubmission(f *testing.F) {
	fx := newFixture(f, smallParams(), stdMembers...)
	for _, s := range fuzzSeeds(fx) {
		f.Add(s.data)
	}
	f.Fuzz(func(t *testing.T, tx []byte) {
		s, rej := core.DecodeSubmission(tx)
		if rej != nil {
			if s != nil || rej.Code != seqapi.CodeMalformed || rej.Reason == "" {
				t.Fatalf("DecodeSubmission refused with %v %q and submission %v", rej.Code, rej.Reason, s)
			}
			return
		}
		if s.Size != len(tx) || s.Signed == nil || s.Request == nil {
			t.Fatalf("decoded submission %+v of %d bytes", s, len(tx))
		}
		if _, err := crypto.ParseMember(s.Request.Sender); err != nil {
			t.Fatalf("accepted sender %q: %v", s.Request.Sender, err)
		}
		// Re-encoding is stable and decodes to the same submission.
		again, rej := core.DecodeSubmission(mustMarshal(s.Signed))
		if rej != nil {
			t.Fatalf("re-encoded submission refused: %v", rej)
		}
		if !sameMsg(again.Signed, s.Signed) || !sameMsg(again.Request, s.Request) {
			t.Fatal("re-encoded submission decodes differently")
		}
		var req pb.SubmissionRequest
		if err := req.Unmarshal(mustMarshal(s.Request)); err != nil || !sameMsg(&req, s.Request) {
			t.Fatalf("request does not round-trip: %v", err)
		}
	})
}

func FuzzCheckTx(f *testing.F) {
	fx := newFixture(f, smallParams(), stdMembers...)
	base := fx.newReplica(f)
	for _, s := range fuzzSeeds(fx) {
		f.Add(s.data, s.asRequest)
	}
	f.Fuzz(func(t *testing.T, data []byte, asRequest bool) {
		tx := data
		if asRequest { // sign arbitrary request bytes with the named sender's key, as a client would
			key := fx.keys[fx.id("PAR::alice")]
			var req pb.SubmissionRequest
			if req.Unmarshal(data) == nil {
				if k, ok := fx.keys[req.Sender]; ok {
					key = k
				}
			}
			tx = mustMarshal(&pb.SignedSubmission{
				Request: data, Signature: key.Sign(crypto.PurposeSubmissionRequest, data), SigningKey: string(key.Fingerprint()),
			})
		}
		code := seqapi.CodeOK
		if _, err := fx.m.Check(base.r, tx, t0); err != nil {
			var se *core.SubmissionError
			if !errors.As(err, &se) {
				t.Fatalf("Check returned a non-submission error: %v", err)
			}
			if se.Code < seqapi.CodeMalformed || se.Code > seqapi.MaxCode || se.Reason == "" {
				t.Fatalf("Check refused with unknown code %v (%q)", se.Code, se.Reason)
			}
			code = se.Code
		}
		out, err := fx.m.Execute(base.r, core.Block{Height: 1, TimeMicros: t0, Txs: [][]byte{tx}})
		if err != nil {
			t.Fatalf("Execute failed on a transaction: %v", err)
		}
		if len(out.TxResults) != 1 || out.TxResults[0].Code != code {
			t.Fatalf("Execute results %+v, Check said %v", out.TxResults, code)
		}
		res := out.TxResults[0]
		switch {
		case code == seqapi.CodeOK:
			if len(out.Deliveries) == 0 || !hasDelivery(out, res.Sender) {
				t.Fatalf("accepted without a receipt: %+v", out.Deliveries)
			}
		case code.Attributable():
			if len(out.Deliveries) != 1 || out.Deliveries[0] != (core.Delivery{Member: res.Sender}) {
				t.Fatalf("refused (%v) with deliveries %+v, want one error to the sender", code, out.Deliveries)
			}
		default:
			if len(out.Deliveries) != 0 || !onlyHeadWrites(out) {
				t.Fatalf("dropped (%v) with deliveries %+v and %d writes", code, out.Deliveries, len(out.Writes))
			}
		}
		// The writes are readable: every delivery is served.
		r := core.NewMemReader()
		r.Apply(core.InitGenesis(fx.g))
		r.Apply(out.Writes)
		for _, d := range out.Deliveries {
			evs, err := core.ReadEvents(r, d.Member, d.Counter, 1)
			if err != nil || len(evs) != 1 || evs[0].Counter != d.Counter {
				t.Fatalf("ReadEvents(%s, %d) = %v, %v", d.Member, d.Counter, evs, err)
			}
		}
	})
}

// FuzzAuthenticateBatch puts an arbitrary transaction, and a copy of a valid one with one
// signature byte changed, into a batch with valid submissions: the batch's verdicts must
// be those of authenticating each transaction alone on a machine that never saw the
// batch (a batch must neither let a forgery through nor refuse a valid submission).
func FuzzAuthenticateBatch(f *testing.F) {
	fx := newFixture(f, smallParams(), stdMembers...)
	for _, s := range fuzzSeeds(fx) {
		if !s.asRequest {
			f.Add(s.data, uint8(0))
		}
	}
	alice, bob := fx.id("PAR::alice"), fx.id("PAR::bob")
	var valid [][]byte
	for i := range 6 {
		valid = append(valid, fx.sign(request(alice, fmt.Sprintf("v%d", i), t0+100, envelope("x", to(bob)))))
	}
	f.Fuzz(func(t *testing.T, tx []byte, flip uint8) {
		var signed pb.SignedSubmission
		if err := signed.Unmarshal(valid[0]); err != nil {
			t.Fatal(err)
		}
		signed.Signature = append([]byte(nil), signed.Signature...)
		signed.Signature[int(flip)%len(signed.Signature)] ^= 1 | flip
		txs := append([][]byte{valid[1], tx, valid[2], mustMarshal(&signed)}, valid[3:]...)
		batched, alone := core.NewMachine(fx.g), core.NewMachine(fx.g)
		errs := batched.AuthenticateBatch(txs)
		for i, tx := range txs {
			got, want := errs[i], alone.Authenticate(tx)
			if (got == nil) != (want == nil) || (got != nil && got.Error() != want.Error()) {
				t.Fatalf("transaction %d: batch says %v, alone %v", i, got, want)
			}
			if again := batched.Authenticate(tx); (again == nil) != (want == nil) {
				t.Fatalf("transaction %d after the batch: %v, alone %v", i, again, want)
			}
		}
	})
}

func hasDelivery(out *core.Outcome, member string) bool {
	for _, d := range out.Deliveries {
		if d.Member == member {
			return true
		}
	}
	return false
}

// TestWriteFuzzCorpus regenerates testdata/fuzz from fuzzSeeds. Run it once after changing
// the seeds: COMETSYNC_WRITE_CORPUS=1 go test -run TestWriteFuzzCorpus ./abci/core
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("COMETSYNC_WRITE_CORPUS") == "" {
		t.Skip("set COMETSYNC_WRITE_CORPUS=1 to rewrite testdata/fuzz")
	}
	fx := newFixture(t, smallParams(), stdMembers...)
	for _, s := range fuzzSeeds(fx) {
		write := func(target, content string) {
			dir := filepath.Join("testdata", "fuzz", target)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "seed-"+s.name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if !s.asRequest {
			write("FuzzDecodeSubmission", fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s.data))
			write("FuzzAuthenticateBatch", fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nuint8(0)\n", s.data))
		}
		write("FuzzCheckTx", fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nbool(%v)\n", s.data, s.asRequest))
	}
}
