package app_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/internal/chaintest"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/testnet"
	"github.com/cometsync/cometsync/topology"
)

// TestKeyRotation: a genesis member moves to a new signing key on-chain (its namespace's
// root certificate plus an OwnerToKeyMapping with only the new key, signed by the old
// namespace key and, as proof of possession, by the new key). Afterwards the old key no
// longer authenticates, the new one does, and the stream sequenced before the rotation is
// served unchanged.
func TestKeyRotation(t *testing.T) {
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: participants("alice", "bob")})
	alice, bob := net.Member("alice"), net.Member("bob")
	c := dialRaw(t, net.APIAddress(0))
	actx, bctx := c.login(t, alice), c.login(t, bob)
	sendN(t, c, actx, alice, "before", 2, bob.ID)
	history := c.readEvents(t, bctx, bob.ID, 0, 2)

	newKey, _ := crypto.GenerateSigningKey(nil)
	am, _ := crypto.ParseMember(alice.ID)
	rotate := signedBatch(t, alice.ID, alice.Key, "rotate",
		topoEnvelope(t, topology.NewRootCertificate(alice.Key.Public()), alice.Key),
		topoEnvelope(t, topology.NewOwnerToKeyMapping(am, []crypto.SigningPublicKey{newKey.Public()}), alice.Key, newKey))
	if _, err := c.seq.Send(actx, &pb.SendRequest{Submission: rotate}); err != nil {
		t.Fatalf("rotation: %v", err)
	}
	c.readEvents(t, bctx, bob.ID, 2, 1) // the rotation, broadcast

	ch, err := c.auth.Challenge(t.Context(), &pb.ChallengeRequest{Member: alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.ExpectedKeyFingerprints) != 0 {
		t.Fatalf("Challenge lists keys %v: it must answer alike for members and others", ch.ExpectedKeyFingerprints)
	}
	sig := alice.Key.SignHash(apiAuthHash(ch.Nonce, c.syncID))
	_, err = c.auth.Authenticate(t.Context(), &pb.AuthenticateRequest{Member: alice.ID, Nonce: ch.Nonce, Signature: sig, KeyFingerprint: string(alice.Key.Fingerprint())})
	wantStatus(t, "authentication with the rotated-out key", err, codes.Unauthenticated, "not signed by a current signing key")
	rotated := testnet.Member{ID: alice.ID, Key: newKey}
	nctx := c.login(t, rotated)
	// A submission signed with the old key is refused; with the new one it is sequenced.
	old := submission(alice.ID, alice.Key, "old-key", timeSoon(), []byte("x"), to(bob.ID)...)
	if _, err := c.seq.Send(nctx, &pb.SendRequest{Submission: old}); err == nil {
		t.Fatal("a submission signed with the rotated-out key was admitted")
	}
	sendN(t, c, nctx, rotated, "after", 1, bob.ID)
	got := c.readEvents(t, bctx, bob.ID, 0, 4)
	sameEvents(t, "bob's history", got[:2], history)
	if contents(got[3:])[0] != "after-0" {
		t.Fatalf("bob's last message %q", contents(got[3:]))
	}
}
