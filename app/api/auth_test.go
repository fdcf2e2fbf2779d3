package api_test

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/cometsync/cometsync/app/api"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// TestChallengeAnswersAlikeForUnknownMember: Challenge is no membership oracle. An
// unknown member gets a nonce and no fingerprints, as a member does; Authenticate then
// refuses it exactly as a member with a wrong key. Only a malformed id is refused.
func TestChallengeAnswersAlikeForUnknownMember(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.fx.Member("PAR::alice")
	mallory := "PAR::mallory::" + alice.Key.Fingerprint().String()
	known, err := e.auth.Challenge(ctxT(t), &pb.ChallengeRequest{Member: alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	unknown, err := e.auth.Challenge(ctxT(t), &pb.ChallengeRequest{Member: mallory})
	if err != nil {
		t.Fatalf("challenge of an unknown member: %v", err)
	}
	if len(known.Nonce) != len(unknown.Nonce) || len(known.ExpectedKeyFingerprints) != 0 || len(unknown.ExpectedKeyFingerprints) != 0 {
		t.Fatalf("answers differ: member %v, unknown %v", known, unknown)
	}
	syncID := e.backend.SynchronizerID()
	_, errKnown := e.auth.Authenticate(ctxT(t), &pb.AuthenticateRequest{
		Member: alice.ID, Nonce: known.Nonce, KeyFingerprint: e.fx.Member("PAR::bob").Key.Fingerprint().String(),
		Signature: e.fx.Member("PAR::bob").Key.SignHash(seqapi.AuthenticationHash(known.Nonce, syncID)),
	})
	_, errUnknown := e.auth.Authenticate(ctxT(t), &pb.AuthenticateRequest{
		Member: mallory, Nonce: unknown.Nonce, KeyFingerprint: alice.Key.Fingerprint().String(),
		Signature: alice.Key.SignHash(seqapi.AuthenticationHash(unknown.Nonce, syncID)),
	})
	wantRefused(t, errKnown, alice.ID)
	wantRefused(t, errUnknown, mallory)
	_, err = e.auth.Challenge(ctxT(t), &pb.ChallengeRequest{Member: "nobody"})
	wantCode(t, err, codes.InvalidArgument, "member")
}

// wantRefused asserts the one refusal of a signature that Authenticate has, whatever
// the cause.
func wantRefused(t *testing.T, err error, member string) {
	t.Helper()
	wantCode(t, err, codes.Unauthenticated, "authentication of "+member+" refused: the request is not signed by a current signing key of the member")
	if reason, ok := seqapi.AuthRefusal(err); !ok || reason != seqapi.ReasonSignatureRefused {
		t.Fatalf("reason %q %v, want %s", reason, ok, seqapi.ReasonSignatureRefused)
	}
}

func TestChallengeReturnsNonce(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.fx.Member("PAR::alice")
	ch, err := e.auth.Challenge(ctxT(t), &pb.ChallengeRequest{Member: alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Nonce) != seqapi.NonceSize {
		t.Fatalf("nonce of %d bytes", len(ch.Nonce))
	}
	if len(ch.ExpectedKeyFingerprints) != 0 {
		t.Fatalf("fingerprints %v: the answer must not depend on membership", ch.ExpectedKeyFingerprints)
	}
	ch2, _ := e.auth.Challenge(ctxT(t), &pb.ChallengeRequest{Member: alice.ID})
	if string(ch2.Nonce) == string(ch.Nonce) {
		t.Fatal("two challenges returned the same nonce")
	}
}

func TestAuthenticate(t *testing.T) {
	e := newEnv(t, nil)
	alice, bob := e.fx.Member("PAR::alice"), e.fx.Member("PAR::bob")
	syncID := e.backend.SynchronizerID()
	challenge := func(member string) []byte {
		ch, err := e.auth.Challenge(ctxT(t), &pb.ChallengeRequest{Member: member})
		if err != nil {
			t.Fatal(err)
		}
		return ch.Nonce
	}
	answer := func(nonce []byte, signer func([]byte) []byte, fp string) error {
		_, err := e.auth.Authenticate(ctxT(t), &pb.AuthenticateRequest{
			Member: alice.ID, Nonce: nonce, KeyFingerprint: fp, Signature: signer(seqapi.AuthenticationHash(nonce, syncID)),
		})
		return err
	}
	aliceFP := alice.Key.Fingerprint().String()

	t.Run("success", func(t *testing.T) {
		nonce := challenge(alice.ID)
		resp, err := e.auth.Authenticate(ctxT(t), &pb.AuthenticateRequest{
			Member: alice.ID, Nonce: nonce, KeyFingerprint: aliceFP, Signature: alice.Key.SignHash(seqapi.AuthenticationHash(nonce, syncID)),
		})
		if err != nil || resp.Token == "" {
			t.Fatalf("authenticate: %v %v", resp, err)
		}
		if want := e.clock.Now().Add(api.TestConfig().TokenTTL).UnixMicro(); resp.ExpiresAtMicros != want {
			t.Fatalf("expires at %d, want %d", resp.ExpiresAtMicros, want)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		err := answer(challenge(alice.ID), bob.Key.SignHash, aliceFP)
		wantRefused(t, err, alice.ID)
	})
	t.Run("key of another member", func(t *testing.T) {
		err := answer(challenge(alice.ID), bob.Key.SignHash, bob.Key.Fingerprint().String())
		wantRefused(t, err, alice.ID)
	})
	t.Run("wrong synchronizer", func(t *testing.T) {
		nonce := challenge(alice.ID)
		_, err := e.auth.Authenticate(ctxT(t), &pb.AuthenticateRequest{
			Member: alice.ID, Nonce: nonce, KeyFingerprint: aliceFP, Signature: alice.Key.SignHash(seqapi.AuthenticationHash(nonce, "other::sync")),
		})
		wantRefused(t, err, alice.ID)
	})
	t.Run("wrong nonce", func(t *testing.T) {
		challenge(alice.ID)
		err := answer(make([]byte, seqapi.NonceSize), alice.Key.SignHash, aliceFP)
		wantCode(t, err, codes.Unauthenticated, "unknown or already used nonce")
	})
	t.Run("reused nonce", func(t *testing.T) {
		nonce := challenge(alice.ID)
		if err := answer(nonce, alice.Key.SignHash, aliceFP); err != nil {
			t.Fatal(err)
		}
		err := answer(nonce, alice.Key.SignHash, aliceFP)
		wantCode(t, err, codes.Unauthenticated, "unknown or already used nonce")
	})
	t.Run("nonce of another member", func(t *testing.T) {
		err := answer(challenge(bob.ID), alice.Key.SignHash, aliceFP)
		wantCode(t, err, codes.Unauthenticated, "another member")
	})
	t.Run("expired nonce", func(t *testing.T) {
		nonce := challenge(alice.ID)
		e.clock.Advance(api.TestConfig().ChallengeTTL + time.Second)
		err := answer(nonce, alice.Key.SignHash, aliceFP)
		wantCode(t, err, codes.Unauthenticated, "nonce expired")
	})
}

func TestTokenChecks(t *testing.T) {
	e := newEnv(t, nil)
	alice, bob := e.fx.Member("PAR::alice"), e.fx.Member("PAR::bob")
	ack := &pb.AcknowledgeRequest{Member: alice.ID, TimestampMicros: 1}

	_, err := e.seq.Acknowledge(ctxT(t), ack)
	wantCode(t, err, codes.Unauthenticated, "missing token")

	_, err = e.seq.Acknowledge(seqapi.WithCredentials(ctxT(t), alice.ID, "bogus"), ack)
	wantCode(t, err, codes.Unauthenticated, "unknown token")

	ctx := e.login(t, "PAR::alice")
	if _, err := e.seq.Acknowledge(ctx, ack); err != nil {
		t.Fatalf("acknowledge with a valid token: %v", err)
	}
	// The token names alice; presenting it as bob fails.
	tok := tokenOf(t, ctx)
	_, err = e.seq.Acknowledge(seqapi.WithCredentials(ctxT(t), bob.ID, tok), &pb.AcknowledgeRequest{Member: bob.ID})
	wantCode(t, err, codes.Unauthenticated, "another member")

	// Streams are checked too.
	st, err := e.seq.Subscribe(ctxT(t), &pb.SubscribeRequest{Member: alice.ID})
	if err == nil {
		_, err = st.Recv()
	}
	wantCode(t, err, codes.Unauthenticated, "missing token")

	e.clock.Advance(api.TestConfig().TokenTTL)
	_, err = e.seq.Acknowledge(ctx, ack)
	wantCode(t, err, codes.Unauthenticated, "token expired")
}
