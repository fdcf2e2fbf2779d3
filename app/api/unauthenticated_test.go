package api_test

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cometsync/cometsync/app/api"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/proto/sequencersvc"
	"github.com/cometsync/cometsync/seqapi"
)

// caller opens another connection to e's server: on loopback every connection is a
// caller of its own.
func (e *env) caller(t *testing.T) sequencersvc.SequencerAuthenticationServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(e.served.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return sequencersvc.NewSequencerAuthenticationServiceClient(conn)
}

func (e *env) answer(t *testing.T, auth sequencersvc.SequencerAuthenticationServiceClient, spec string, nonce []byte) error {
	t.Helper()
	m := e.fx.Member(spec)
	_, err := auth.Authenticate(ctxT(t), &pb.AuthenticateRequest{
		Member: m.ID, Nonce: nonce, KeyFingerprint: m.Key.Fingerprint().String(),
		Signature: m.Key.SignHash(seqapi.AuthenticationHash(nonce, e.backend.SynchronizerID())),
	})
	return err
}

func challengeOf(t *testing.T, auth sequencersvc.SequencerAuthenticationServiceClient, member string) []byte {
	t.Helper()
	ch, err := auth.Challenge(ctxT(t), &pb.ChallengeRequest{Member: member})
	if err != nil {
		t.Fatalf("challenge of %s: %v", member, err)
	}
	return ch.Nonce
}

// TestChallengeFloodDisplacesOnlyTheFloodersChallenges: a caller that asks for far
// more challenges than the per-member, per-caller and global bounds, naming alice and
// made-up members, is never refused (its oldest challenges make room) and displaces
// none of the challenges other callers hold: alice and bob, each on a connection of
// its own, answer theirs afterwards. Among the flooder's own, only the newest survive.
func TestChallengeFloodDisplacesOnlyTheFloodersChallenges(t *testing.T) {
	e := newEnv(t, func(c *api.Config) {
		c.MaxPendingChallenges, c.MaxChallengesPerMember, c.MaxChallengesPerCaller = 16, 2, 4
	})
	alice, bob := e.fx.Member("PAR::alice"), e.fx.Member("PAR::bob")
	aliceConn, bobConn, flooder := e.caller(t), e.caller(t), e.caller(t)
	aliceNonce, bobNonce := challengeOf(t, aliceConn, alice.ID), challengeOf(t, bobConn, bob.ID)

	var first, last []byte
	for i := range 1000 {
		member := alice.ID
		if i%2 == 1 {
			member = fmt.Sprintf("PAR::ghost-%d::%s", i, alice.Key.Fingerprint())
		}
		n := challengeOf(t, flooder, member)
		if i == 0 {
			first = n
		}
		if member == alice.ID {
			last = n
		}
	}
	if err := e.answer(t, aliceConn, "PAR::alice", aliceNonce); err != nil {
		t.Fatalf("alice after the flood: %v", err)
	}
	if err := e.answer(t, bobConn, "PAR::bob", bobNonce); err != nil {
		t.Fatalf("bob after the flood: %v", err)
	}
	if reason, _ := seqapi.AuthRefusal(e.answer(t, flooder, "PAR::alice", first)); reason != seqapi.ReasonNonceRefused {
		t.Fatalf("the flooder's first challenge survived (reason %q)", reason)
	}
	if err := e.answer(t, flooder, "PAR::alice", last); err != nil {
		t.Fatalf("the flooder's newest challenge for alice: %v", err)
	}
}

// TestChallengeOverMemberCapDisplacesTheOldest: when callers that hold no challenge of
// a member ask for more than its cap, the member's oldest challenge goes; the newer
// ones still answer.
func TestChallengeOverMemberCapDisplacesTheOldest(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxChallengesPerMember = 2 })
	alice := e.fx.Member("PAR::alice")
	conns := []sequencersvc.SequencerAuthenticationServiceClient{e.caller(t), e.caller(t), e.caller(t)}
	var nonces [][]byte
	for _, c := range conns {
		nonces = append(nonces, challengeOf(t, c, alice.ID))
	}
	wantCode(t, e.answer(t, conns[0], "PAR::alice", nonces[0]), codes.Unauthenticated, "unknown or already used nonce")
	for i := 1; i < 3; i++ {
		if err := e.answer(t, conns[i], "PAR::alice", nonces[i]); err != nil {
			t.Fatalf("challenge %d: %v", i, err)
		}
	}
}

// TestUnauthenticatedRateLimitPerCaller: a caller past its burst of unauthenticated
// calls (Challenge, Authenticate, Send without a token) is refused with
// ResourceExhausted and a RetryInfo until its bucket refills; another caller is not
// affected.
func TestUnauthenticatedRateLimitPerCaller(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.UnauthenticatedRate, c.UnauthenticatedBurst = 2, 3 })
	alice := e.fx.Member("PAR::alice")
	busy, other := e.caller(t), e.caller(t)
	nonce := challengeOf(t, busy, alice.ID)
	if err := e.answer(t, busy, "PAR::alice", nonce); err != nil {
		t.Fatal(err)
	}
	challengeOf(t, busy, alice.ID) // the third call: the burst is used up
	_, err := busy.Challenge(ctxT(t), &pb.ChallengeRequest{Member: alice.ID})
	wantCode(t, err, codes.ResourceExhausted, "over the limit of 2/s (burst 3): Challenge refused, retry in 500ms")
	if d, ok := seqapi.RetryDelay(err); !ok || d != 500*time.Millisecond {
		t.Fatalf("retry info %v %v, want 500ms", d, ok)
	}
	err = e.answer(t, busy, "PAR::alice", nonce)
	wantCode(t, err, codes.ResourceExhausted, "Authenticate refused")
	challengeOf(t, other, alice.ID)
	e.clock.Advance(500 * time.Millisecond)
	challengeOf(t, busy, alice.ID)
}

// TestUnauthenticatedSendIsRateLimited: Send without a token (onboarding) counts
// against the caller's bucket like the authentication calls; calls with a token do not.
func TestUnauthenticatedSendIsRateLimited(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.UnauthenticatedRate, c.UnauthenticatedBurst = 1, 3 })
	ctx := e.login(t, "PAR::alice") // two calls
	_, err := e.seq.Send(ctxT(t), &pb.SendRequest{Submission: []byte("not a submission")})
	wantCode(t, err, codes.Unauthenticated, "missing token")
	_, err = e.seq.Send(ctxT(t), &pb.SendRequest{Submission: []byte("not a submission")})
	wantCode(t, err, codes.ResourceExhausted, "Send refused, retry in 1s")
	if _, err := e.seq.Acknowledge(ctx, &pb.AcknowledgeRequest{Member: e.fx.Member("PAR::alice").ID, TimestampMicros: 1}); err != nil {
		t.Fatalf("a call with a token: %v", err)
	}
}

// TestChallengeOverGlobalCapDisplacesTheOldest: past MaxPendingChallenges the oldest
// challenge of all goes, whoever holds it; a new challenge is never refused.
func TestChallengeOverGlobalCapDisplacesTheOldest(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxPendingChallenges = 2 })
	alice, bob := e.fx.Member("PAR::alice"), e.fx.Member("PAR::bob")
	first, second, third := e.caller(t), e.caller(t), e.caller(t)
	n1, n2, n3 := challengeOf(t, first, alice.ID), challengeOf(t, second, bob.ID), challengeOf(t, third, alice.ID)
	wantCode(t, e.answer(t, first, "PAR::alice", n1), codes.Unauthenticated, "unknown or already used nonce")
	if err := e.answer(t, second, "PAR::bob", n2); err != nil {
		t.Fatal(err)
	}
	if err := e.answer(t, third, "PAR::alice", n3); err != nil {
		t.Fatal(err)
	}
}
