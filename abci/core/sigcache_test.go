package core_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/cometsync/cometsync/abci/core"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// TestSignatureCacheNeverAcceptsForgeries warms the machine's signature cache with valid
// submissions and checks that nothing but the exact (key, request, signature) hits it.
func TestSignatureCacheNeverAcceptsForgeries(t *testing.T) {
	f := stdFixture(t)
	alice, bob := f.id("PAR::alice"), f.id("PAR::bob")
	// alice gets a second key.
	k2 := testKey("alice-second")
	for i := range f.g.Members {
		if f.g.Members[i].ID == alice {
			f.g.Members[i].SigningKeys = append(f.g.Members[i].SigningKeys, core.EncodeKey(k2.Public()))
		}
	}
	f.m = core.NewMachine(f.g)
	x := f.newReplica(t)
	req := request(alice, "m", t0+100, envelope("x", to(bob)))
	valid := f.sign(req)
	if err := f.m.Authenticate(valid); err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if err := x.check(valid, t0); err != nil {
		t.Fatalf("Check: %v", err)
	}
	var signed pb.SignedSubmission
	if err := signed.Unmarshal(valid); err != nil {
		t.Fatal(err)
	}
	variant := func(edit func(s *pb.SignedSubmission)) []byte {
		s := pb.SignedSubmission{Request: signed.Request, Signature: append([]byte(nil), signed.Signature...), SigningKey: signed.SigningKey}
		edit(&s)
		return mustMarshal(&s)
	}
	forgeries := map[string][]byte{
		"signature under the other key's name": variant(func(s *pb.SignedSubmission) { s.SigningKey = string(k2.Fingerprint()) }),
		"flipped signature bit":                variant(func(s *pb.SignedSubmission) { s.Signature[10] ^= 4 }),
		"other request, same signature": variant(func(s *pb.SignedSubmission) {
			s.Request = mustMarshal(request(alice, "m", t0+100, envelope("y", to(bob))))
		}),
	}
	for name, tx := range forgeries {
		for _, path := range []string{"Authenticate", "Check", "Execute"} {
			var err error
			switch path {
			case "Authenticate":
				err = f.m.Authenticate(tx)
			case "Check":
				err = x.check(tx, t0)
			case "Execute":
				out, xerr := f.m.Execute(x.r, core.Block{Height: 1, TimeMicros: t0, Txs: [][]byte{tx}})
				if xerr != nil {
					t.Fatal(xerr)
				}
				if c := out.TxResults[0].Code; c != seqapi.CodeOK {
					err = &core.SubmissionError{Code: c}
				}
			}
			var se *core.SubmissionError
			if !errors.As(err, &se) || se.Code != seqapi.CodeBadSignature {
				t.Errorf("%s via %s: %v, want bad signature", name, path, err)
			}
		}
	}
	// The second key signs validly too.
	if err := x.check(signWith(k2, req), t0); err != nil {
		t.Fatalf("Check with alice's second key: %v", err)
	}
	var se *core.SubmissionError
	if err := f.m.Authenticate([]byte("junk")); !errors.As(err, &se) || se.Code != seqapi.CodeMalformed {
		t.Fatalf("Authenticate(junk) = %v", err)
	}
	stranger := signWith(testKey("PAR::stranger"), request(memberID("PAR::stranger"), "m", t0+100, envelope("x", to(bob))))
	if err := f.m.Authenticate(stranger); !errors.As(err, &se) || se.Code != seqapi.CodeUnknownSender {
		t.Fatalf("Authenticate(stranger) = %v", err)
	}
}

// TestCheckConcurrentWithExecute runs Check and Authenticate from several goroutines
// while blocks execute (as the node does), and compares the result with a sequential run.
// Run with -race to check the machine's shared state.
func TestCheckConcurrentWithExecute(t *testing.T) {
	f := stdFixture(t)
	senders := []string{f.id("PAR::alice"), f.id("PAR::bob"), f.id("PAR::carol")}
	var txs [][]byte
	for i := range 60 {
		s := senders[i%3]
		txs = append(txs, f.sign(request(s, string(rune('a'+i/3)), t0+10_000, envelope("x", allMembers))))
	}
	run := func(concurrent bool) []*core.Outcome {
		m := core.NewMachine(f.g)
		r := core.NewMemReader()
		r.Apply(core.InitGenesis(f.g))
		var wg sync.WaitGroup
		if concurrent {
			frozen := core.NewMemReader() // Check reads its own snapshot; MemReader is not synchronized
			frozen.Apply(core.InitGenesis(f.g))
			for w := range 4 {
				wg.Go(func() {
					for i := w; i < len(txs); i += 4 {
						if err := m.Authenticate(txs[i]); err != nil {
							t.Errorf("Authenticate: %v", err)
						}
						if _, err := m.Check(frozen, txs[i], t0); err != nil {
							t.Errorf("Check: %v", err)
						}
					}
				})
			}
		}
		var outs []*core.Outcome
		for h := range 6 {
			out, err := m.Execute(r, core.Block{Height: int64(h + 1), TimeMicros: t0 + int64(h), Txs: txs[h*10 : h*10+10]})
			if err != nil {
				t.Fatal(err)
			}
			r.Apply(out.Writes)
			outs = append(outs, out)
		}
		wg.Wait()
		return outs
	}
	seq, conc := run(false), run(true)
	for i := range seq {
		if err := sameOutcome(seq[i], conc[i]); err != nil {
			t.Fatalf("block %d differs when Check runs concurrently: %v", i+1, err)
		}
	}
}
