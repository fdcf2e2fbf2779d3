package api_test

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// verdict is what Send answers for a submission, or what a SendBatch result says Send
// would have answered: the gRPC code and message and the submission code, if any.
type verdict struct {
	code    codes.Code
	message string
	sub     seqapi.Code
	hasSub  bool
}

func verdictOf(err error) verdict {
	st := status.Convert(err)
	v := verdict{code: st.Code(), message: st.Message()}
	v.sub, v.hasSub = seqapi.SubmissionCode(err)
	return v
}

func (v verdict) String() string {
	if !v.hasSub {
		return fmt.Sprintf("%v %q", v.code, v.message)
	}
	return fmt.Sprintf("%v/%v %q", v.code, v.sub, v.message)
}

// sendDupFirst has alice send and commit the submission dup, so that sending it again
// is a duplicate.
func (e *env) sendDupFirst(t *testing.T, dup []byte) {
	t.Helper()
	if _, err := e.seq.Send(e.login(t, "PAR::alice"), &pb.SendRequest{Submission: dup}); err != nil {
		t.Fatalf("first send of the duplicate: %v", err)
	}
	e.commit(t)
}

func TestSendBatchResultsMatchSend(t *testing.T) {
	// Two servers over backends in the same state: one gets the submissions in one
	// SendBatch, the other gets them one Send at a time (the reference).
	batched, reference := newEnv(t, nil), newEnv(t, nil)
	alice, bob := batched.fx.Member("PAR::alice"), batched.fx.Member("PAR::bob")
	later := time.Now().Add(time.Minute)

	dup := alice.Sign(alice.Request("dup", later, []byte("first"), bob.ID))
	badSig := alice.Sign(alice.Request("badsig", later, []byte("x"), bob.ID))
	badSig[len(badSig)-80] ^= 1 // inside the signature field, before the fingerprint
	submissions := []struct {
		name string
		tx   []byte
		want verdict // code and submission code; the message is compared with Send's
	}{
		{"valid", alice.Sign(alice.Request("v1", later, []byte("one"), bob.ID)), verdict{code: codes.OK}},
		{"bad signature", badSig, verdict{code: codes.PermissionDenied, sub: seqapi.CodeBadSignature, hasSub: true}},
		{"as another member", bob.Sign(bob.Request("asbob", later, []byte("x"), bob.ID)), verdict{code: codes.PermissionDenied}},
		{"malformed", []byte{0xff, 0xff, 0xff}, verdict{code: codes.InvalidArgument, sub: seqapi.CodeMalformed, hasSub: true}},
		{"second valid", alice.Sign(alice.Request("v2", later, []byte("two"), bob.ID)), verdict{code: codes.OK}},
		{"duplicate", dup, verdict{code: codes.AlreadyExists, sub: seqapi.CodeDuplicate, hasSub: true}},
	}

	batched.sendDupFirst(t, dup)
	reference.sendDupFirst(t, dup)

	req := &pb.SendBatchRequest{}
	for _, s := range submissions {
		req.Submissions = append(req.Submissions, s.tx)
	}
	resp, err := batched.seq.SendBatch(batched.login(t, "PAR::alice"), req)
	if err != nil {
		t.Fatalf("SendBatch: %v", err)
	}
	if len(resp.Results) != len(submissions) {
		t.Fatalf("%d results for %d submissions", len(resp.Results), len(submissions))
	}
	refCtx := reference.login(t, "PAR::alice")
	for i, s := range submissions {
		_, sendErr := reference.seq.Send(refCtx, &pb.SendRequest{Submission: s.tx})
		got, want := verdictOf(seqapi.ResultError(resp.Results[i])), verdictOf(sendErr)
		if got != want {
			t.Errorf("submission %d (%s): SendBatch says %v, Send says %v", i, s.name, got, want)
		}
		if got.code != s.want.code || got.hasSub != s.want.hasSub || got.sub != s.want.sub {
			t.Errorf("submission %d (%s): got %v, want %v", i, s.name, got, s.want)
		}
		wantName := ""
		if s.want.hasSub {
			wantName = s.want.sub.String()
		}
		if resp.Results[i].SubmissionCode != wantName {
			t.Errorf("submission %d (%s): submission_code %q, want %q", i, s.name, resp.Results[i].SubmissionCode, wantName)
		}
	}

	// The two valid submissions, and only they, are sequenced after the duplicate's
	// original: bob receives them in batch order and alice gets their receipts.
	batched.commit(t)
	bobStream := batched.subscribeBob(t, 0)
	evs := recvN(t, bobStream, 3)
	for i, want := range []string{"first", "one", "two"} {
		ev := evs[i]
		if ev.Kind != pb.EventKind_EVENT_KIND_DELIVER || len(ev.Batch.GetEnvelopes()) != 1 || string(ev.Batch.Envelopes[0].Content) != want {
			t.Fatalf("bob's event %d: %+v, want a delivery of %q", i, ev, want)
		}
	}
	for _, m := range []string{bob.ID, alice.ID} {
		if next, err := batched.backend.NextCounter(m); err != nil || next != 3 {
			t.Fatalf("%s's stream has %d events (%v), want 3", m, next, err)
		}
	}
	aliceStream, err := batched.seq.Subscribe(batched.login(t, "PAR::alice"), &pb.SubscribeRequest{Member: alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"dup", "v1", "v2"} {
		if ev := recvN(t, aliceStream, 1)[0]; ev.Kind != pb.EventKind_EVENT_KIND_DELIVER || ev.MessageId != want {
			t.Fatalf("alice's event %d: %+v, want the receipt of %q", i, ev, want)
		}
	}
}

// signedBatch returns n valid submissions of alice to bob with message ids prefix0...
func signedBatch(e *env, prefix string, n int) [][]byte {
	alice, bob := e.fx.Member("PAR::alice"), e.fx.Member("PAR::bob")
	later := time.Now().Add(time.Minute)
	out := make([][]byte, n)
	for i := range out {
		out[i] = alice.Sign(alice.Request(fmt.Sprintf("%s%d", prefix, i), later, []byte("x"), bob.ID))
	}
	return out
}

func TestSendBatchSizeLimit(t *testing.T) {
	e := newEnv(t, nil)
	ctx := e.login(t, "PAR::alice")
	txs := signedBatch(e, "m", seqapi.MaxSendBatch+1)

	_, err := e.seq.SendBatch(ctx, &pb.SendBatchRequest{Submissions: txs})
	wantCode(t, err, codes.InvalidArgument, fmt.Sprint(seqapi.MaxSendBatch))
	if n := e.backend.Mempool(); n != 0 {
		t.Fatalf("an oversized batch admitted %d submissions", n)
	}

	// The limit itself is allowed.
	resp, err := e.seq.SendBatch(ctx, &pb.SendBatchRequest{Submissions: txs[:seqapi.MaxSendBatch]})
	if err != nil {
		t.Fatalf("a batch of %d: %v", seqapi.MaxSendBatch, err)
	}
	for i, r := range resp.Results {
		if err := seqapi.ResultError(r); err != nil {
			t.Fatalf("submission %d: %v", i, err)
		}
	}
	if n := e.backend.Mempool(); n != seqapi.MaxSendBatch {
		t.Fatalf("mempool holds %d, want %d", n, seqapi.MaxSendBatch)
	}
}

func TestSendBatchNeedsToken(t *testing.T) {
	e := newEnv(t, nil)
	_, err := e.seq.SendBatch(ctxT(t), &pb.SendBatchRequest{Submissions: signedBatch(e, "m", 2)})
	wantCode(t, err, codes.Unauthenticated, "")
	if n := e.backend.Mempool(); n != 0 {
		t.Fatalf("an unauthenticated batch admitted %d submissions", n)
	}
}
