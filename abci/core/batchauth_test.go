package core_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/cometsync/cometsync/abci/core"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// TestAuthenticateBatchAgreesWithAuthenticate authenticates a mixed set of transactions
// as one batch on one machine and one by one on another: every verdict must be the same,
// and a forgery in a batch must not become acceptable to the machine that saw the batch.
func TestAuthenticateBatchAgreesWithAuthenticate(t *testing.T) {
	f := stdFixture(t)
	alice, bob := f.id("PAR::alice"), f.id("PAR::bob")
	var txs [][]byte
	for i := range 20 {
		txs = append(txs, f.sign(request(alice, fmt.Sprintf("a%d", i), t0+100, envelope("x", to(bob)))))
	}
	txs = append(txs, f.sign(request(bob, "b", t0+100, envelope("y", to(alice)))))
	var signed pb.SignedSubmission
	if err := signed.Unmarshal(txs[3]); err != nil {
		t.Fatal(err)
	}
	forged := pb.SignedSubmission{Request: signed.Request, Signature: append([]byte(nil), signed.Signature...), SigningKey: signed.SigningKey}
	forged.Signature[7] ^= 1
	forgedTx := mustMarshal(&forged)
	shortSig := pb.SignedSubmission{Request: signed.Request, Signature: signed.Signature[:10], SigningKey: signed.SigningKey}
	unknownKey := pb.SignedSubmission{Request: signed.Request, Signature: signed.Signature, SigningKey: string(testKey("nobody").Fingerprint())}
	stranger := signWith(testKey("PAR::stranger"), request(memberID("PAR::stranger"), "s", t0+100, envelope("x", to(bob))))
	txs = append(txs, forgedTx, mustMarshal(&shortSig), mustMarshal(&unknownKey), stranger, []byte("junk"))
	// Put the bad ones between good ones too.
	txs = slices.Insert(txs, 5, forgedTx)

	batched := core.NewMachine(f.g)
	alone := core.NewMachine(f.g)
	errs := batched.AuthenticateBatch(txs)
	if len(errs) != len(txs) {
		t.Fatalf("%d results for %d transactions", len(errs), len(txs))
	}
	codeOf := func(err error) seqapi.Code {
		var se *core.SubmissionError
		if err == nil {
			return seqapi.CodeOK
		}
		if !errors.As(err, &se) {
			t.Fatalf("not a submission error: %v", err)
		}
		return se.Code
	}
	ok := 0
	for i, tx := range txs {
		got, want := codeOf(errs[i]), codeOf(alone.Authenticate(tx))
		if got != want {
			t.Errorf("transaction %d: batch says %v, alone %v", i, got, want)
		}
		if got == seqapi.CodeOK {
			ok++
		}
	}
	if ok != 21 {
		t.Errorf("%d transactions authentic, want the 21 validly signed ones", ok)
	}
	// The machine that saw the batch still refuses the forgery when it executes it.
	x := &replica{tb: t, f: &fixture{g: f.g, m: batched}, r: f.newReplica(t).r}
	out := x.exec(t0, forgedTx, txs[0])
	if out.TxResults[0].Code != seqapi.CodeBadSignature || out.TxResults[1].Code != seqapi.CodeOK {
		t.Fatalf("executed forgery and valid submission: %v, %v", out.TxResults[0].Code, out.TxResults[1].Code)
	}
}

// TestReadEventsCachedMatchesReadEvents reads every member's stream through one shared,
// deliberately small batch cache (so that it evicts all the time) and compares it with
// uncached reads.
func TestReadEventsCachedMatchesReadEvents(t *testing.T) {
	f := stdFixture(t)
	alice, bob, carol := f.id("PAR::alice"), f.id("PAR::bob"), f.id("PAR::carol")
	x := f.newReplica(t)
	for b := range 5 {
		var txs [][]byte
		for i := range 6 {
			txs = append(txs, f.sign(request(alice, fmt.Sprintf("m%d-%d", b, i), t0+1000,
				envelope(fmt.Sprintf("to bob %d", i), to(bob)), envelope("to all", allMembers), envelope("to carol", to(carol)))))
		}
		x.exec(t0+int64(b), txs...)
	}
	cache := core.NewBatchCache(400)
	for _, member := range []string{alice, bob, carol, f.id("MED::m0a@0")} {
		want := x.events(member)
		for from := range int64(len(want)) {
			got, err := core.ReadEventsCached(x.r, cache, member, from, 4)
			if err != nil {
				t.Fatal(err)
			}
			end := min(len(want), int(from)+4)
			if len(got) != end-int(from) {
				t.Fatalf("%s from %d: %d events, want %d", short(member), from, len(got), end-int(from))
			}
			for i, ev := range got {
				if !sameMsg(ev, want[int(from)+i]) {
					t.Fatalf("%s event %d differs through the cache:\n%v\nwant\n%v", short(member), from+int64(i), ev, want[int(from)+i])
				}
			}
		}
	}
}
