package app_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/internal/chaintest"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
	"github.com/cometsync/cometsync/testnet"
)

func participants(names ...string) []testnet.MemberSpec {
	out := make([]testnet.MemberSpec, len(names))
	for i, n := range names {
		out[i] = testnet.MemberSpec{Kind: crypto.KindParticipant, Name: n}
	}
	return out
}

// TestBadInputIsRefusedAndNodeKeepsServing sends every kind of bad request to a real
// one-validator node and checks the specific error of each, then checks that the node
// still sequences and that no earlier event was lost or altered.
func TestBadInputIsRefusedAndNodeKeepsServing(t *testing.T) {
	params := core.DefaultParameters()
	params.MaxRequestSize = 8 << 10
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: participants("alice", "bob"), Parameters: &params})
	alice, bob := net.Member("alice"), net.Member("bob")
	c := dialRaw(t, net.APIAddress(0))
	actx, bctx := c.login(t, alice), c.login(t, bob)
	soon := time.Now().Add(time.Minute)

	send := func(ctx context.Context, tx []byte) error {
		_, err := c.seq.Send(ctx, &pb.SendRequest{Submission: tx})
		return err
	}
	if err := send(actx, submission(alice.ID, alice.Key, "m1", soon, []byte("first"), to(bob.ID)...)); err != nil {
		t.Fatalf("valid send: %v", err)
	}
	first := c.readEvents(t, bctx, bob.ID, 0, 1)[0]

	stranger, _ := crypto.GenerateSigningKey(nil)
	carol, _ := crypto.NewMember(crypto.KindParticipant, "carol", stranger.Fingerprint())
	cases := []struct {
		name   string
		ctx    context.Context
		tx     []byte
		code   codes.Code
		reason seqapi.Code // 0: no ErrorInfo expected
	}{
		{"malformed bytes", actx, []byte{0xff, 0x01, 0x02}, codes.InvalidArgument, seqapi.CodeMalformed},
		{"bad signature", actx, submission(alice.ID, bob.Key, "m2", soon, nil, to(bob.ID)...), codes.PermissionDenied, seqapi.CodeUnknownKey},
		{"forged signature", actx, forge(submission(alice.ID, alice.Key, "m2", soon, []byte("x"), to(bob.ID)...)), codes.PermissionDenied, seqapi.CodeBadSignature},
		{"unknown recipient", actx, submission(alice.ID, alice.Key, "m3", soon, nil, to(carol.String())...), codes.NotFound, seqapi.CodeUnknownRecipient},
		{"oversized batch", actx, submission(alice.ID, alice.Key, "m4", soon, bytes.Repeat([]byte("x"), 9<<10), to(bob.ID)...), codes.InvalidArgument, seqapi.CodeTooLarge},
		{"duplicate message id", actx, submission(alice.ID, alice.Key, "m1", soon, []byte("again"), to(bob.ID)...), codes.AlreadyExists, seqapi.CodeDuplicate},
		{"expired max sequencing time", actx, submission(alice.ID, alice.Key, "m5", time.Now().Add(-time.Minute), nil, to(bob.ID)...), codes.DeadlineExceeded, seqapi.CodeExpired},
		{"sending as another member", bctx, submission(alice.ID, alice.Key, "m6", soon, nil, to(bob.ID)...), codes.PermissionDenied, 0},
		{"unknown sender", actx, submission(carol.String(), stranger, "m7", soon, nil, to(bob.ID)...), codes.PermissionDenied, 0},
		{"missing token", t.Context(), submission(alice.ID, alice.Key, "m8", soon, nil, to(bob.ID)...), codes.Unauthenticated, 0},
		{"unknown token", seqapi.WithCredentials(t.Context(), alice.ID, "not-a-token"), submission(alice.ID, alice.Key, "m9", soon, nil, to(bob.ID)...), codes.Unauthenticated, 0},
	}
	for _, tc := range cases {
		err := send(tc.ctx, tc.tx)
		if status.Code(err) != tc.code {
			t.Errorf("%s: got %v, want code %s", tc.name, err, tc.code)
			continue
		}
		if tc.reason != 0 {
			if got, ok := seqapi.SubmissionCode(err); !ok || got != tc.reason {
				t.Errorf("%s: reason %v (ok=%v), want %s; error %v", tc.name, got, ok, tc.reason, err)
			}
		}
		t.Logf("%s: %v", tc.name, err)
	}

	// An unknown member gets a challenge, as anyone does (Challenge is no membership
	// oracle), but can never answer it, so it can never hold a token.
	err := c.authenticate(t.Context(), testnet.Member{ID: carol.String(), Key: stranger})
	wantStatus(t, "authentication of a non-member", err, codes.Unauthenticated, "not signed by a current signing key")
	// Bob may not read Alice's stream.
	stream, err := c.seq.Subscribe(bctx, &pb.SubscribeRequest{Member: alice.ID})
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("subscribing to another member's stream: %v, want PermissionDenied", err)
	}

	// The node still serves, and nothing was lost: bob's stream is exactly m1 then m10.
	if err := send(actx, submission(alice.ID, alice.Key, "m10", soon, []byte("second"), to(bob.ID)...)); err != nil {
		t.Fatalf("valid send after bad input: %v", err)
	}
	got := c.readEvents(t, bctx, bob.ID, 0, 2)
	if describe(got[0]) != describe(first) || string(got[1].Batch.Envelopes[0].Content) != "second" || got[1].Counter != 1 {
		t.Fatalf("bob's stream after bad input: %s / %s", describe(got[0]), describe(got[1]))
	}
	receipts := c.readEvents(t, actx, alice.ID, 0, 2)
	if receipts[0].MessageId != "m1" || receipts[1].MessageId != "m10" {
		t.Fatalf("alice's receipts: %s / %s", describe(receipts[0]), describe(receipts[1]))
	}
}

// forge flips one byte of the signature of a signed submission.
func forge(tx []byte) []byte {
	var s pb.SignedSubmission
	if err := s.Unmarshal(tx); err != nil {
		panic(err)
	}
	s.Signature[0] ^= 0xff
	b, _ := s.Marshal()
	return b
}
