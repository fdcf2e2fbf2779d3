package core_test

import (
	"errors"
	"testing"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/seqapi"
)

// FuzzAckTx feeds arbitrary bytes as an acknowledgement transaction (after the tag) to
// Check and to Execute: they never fail with anything but a refusal with a known code
// and a reason, agree on the verdict, and a refused one changes no stored
// acknowledgement.
func FuzzAckTx(f *testing.F) {
	fx := newFixture(f, smallParams(), "PAR::alice", "PAR::bob", "MED::m@0")
	alice, bob := fx.id("PAR::alice"), fx.id("PAR::bob")
	f.Add(fx.ackTx(f, fx.keys[alice], alice, 0, t0)[len(core.AckTxTag):])
	f.Add(fx.ackTx(f, fx.keys[bob], alice, 0, t0)[len(core.AckTxTag):])
	f.Add([]byte{0x0a, 0x03, 'a', 'b', 'c'})
	f.Fuzz(func(t *testing.T, body []byte) {
		x := fx.newReplica(t)
		x.exec(t0, fx.sign(request(alice, "m", t0+5000, envelope("x", to(bob)))))
		tx := append(append([]byte{}, core.AckTxTag...), body...)
		checkCode := seqapi.CodeOK
		if err := x.check(tx, t0); err != nil {
			var se *core.SubmissionError
			if !errors.As(err, &se) || se.Code < seqapi.CodeMalformed || se.Code > seqapi.MaxCode || se.Reason == "" {
				t.Fatalf("Check: %v", err)
			}
			checkCode = se.Code
		}
		out := x.exec(t0+1000, tx)
		if r := out.TxResults[0]; r.Code != checkCode {
			t.Fatalf("Execute says %v (%q), Check %v", r.Code, r.Log, checkCode)
		}
		acks, err := core.ReadAcks(x.r)
		if err != nil {
			t.Fatal(err)
		}
		if (checkCode == seqapi.CodeOK) != (len(acks) == 1) {
			t.Fatalf("verdict %v, stored acknowledgements %v", checkCode, acks)
		}
	})
}
