package app_test

import (
	"bytes"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/chaintest"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/testnet"
	"github.com/cometsync/cometsync/topology"
)

func topoEnvelope(t *testing.T, m *topopb.TopologyMapping, keys ...crypto.SigningPrivateKey) *pb.Envelope {
	t.Helper()
	tx, err := topology.NewTransaction(topopb.Operation_OPERATION_REPLACE, 1, m)
	if err != nil {
		t.Fatal(err)
	}
	return &pb.Envelope{
		Recipients: []*pb.Recipient{{Group: pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER}},
		Content:    topology.Sign(tx, false, keys...).Marshal(),
	}
}

func signedBatch(t *testing.T, sender string, key crypto.SigningPrivateKey, msgID string, envs ...*pb.Envelope) []byte {
	t.Helper()
	req := &pb.SubmissionRequest{Sender: sender, MessageId: msgID, MaxSequencingTimeMicros: time.Now().Add(time.Minute).UnixMicro(), Batch: &pb.Batch{Envelopes: envs}}
	rb, _ := req.Marshal()
	b, _ := (&pb.SignedSubmission{Request: rb, Signature: key.Sign(crypto.PurposeSubmissionRequest, rb), SigningKey: string(key.Fingerprint())}).Marshal()
	return b
}

// onboard sends dave's root certificate and OwnerToKeyMapping without a token, as a
// participant that is not yet a member does, and returns dave.
func onboard(t *testing.T, c *rawClient) testnet.Member {
	t.Helper()
	k, _ := crypto.GenerateSigningKey(nil)
	dave, _ := crypto.NewMember(crypto.KindParticipant, "dave", k.Fingerprint())
	tx := signedBatch(t, dave.String(), k, "onboard",
		topoEnvelope(t, topology.NewRootCertificate(k.Public()), k),
		topoEnvelope(t, topology.NewOwnerToKeyMapping(dave, []crypto.SigningPublicKey{k.Public()}), k))
	if _, err := c.seq.Send(t.Context(), &pb.SendRequest{Submission: tx}); err != nil {
		t.Fatalf("unauthenticated onboarding request: %v", err)
	}
	return testnet.Member{ID: dave.String(), Key: k}
}

// TestOnboardingOpenPolicy: a new participant registers itself through the topology
// manager without a token, every member sees its topology transactions, and then it
// authenticates and sends like any member.
func TestOnboardingOpenPolicy(t *testing.T) {
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: participants("alice")})
	alice := net.Member("alice")
	c := dialRaw(t, net.APIAddress(0))
	actx := c.login(t, alice)
	dave := onboard(t, c)
	if got := c.readEvents(t, actx, alice.ID, 0, 1)[0]; len(got.Batch.Envelopes) != 2 {
		t.Fatalf("alice got %d envelopes of dave's onboarding, want 2", len(got.Batch.Envelopes))
	}
	dctx := c.login(t, dave)
	sendN(t, c, dctx, dave, "from-dave", 1, alice.ID)
	if got := contents(c.readEvents(t, actx, alice.ID, 1, 1)); got[0] != "from-dave-0" {
		t.Fatalf("alice received %q", got)
	}

	// The new member starts from the committed topology state: it holds its own keys and
	// equals the validator's state byte for byte (same hash).
	cfg := driver.DefaultConfig()
	cfg.Endpoints, cfg.Member, cfg.SigningKey = []string{net.APIAddress(0)}, dave.ID, dave.Key
	dc, err := driver.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	ts, err := dc.DownloadTopologyState(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ts.State.Head().OwnerToKeys(dave.ID); !ok {
		t.Fatal("downloaded topology lacks dave's OwnerToKeyMapping")
	}
	if !bytes.Equal(ts.State.Hash(), net.Node(0).Machine().TopologyHash()) {
		t.Fatal("downloaded topology state differs from the validator's")
	}
}

// TestOnboardingPermissionedPolicy: under the permissioned policy a participant that
// registered its keys is not admitted — it can neither authenticate, send nor subscribe —
// until the synchronizer owners grant a ParticipantSynchronizerPermission.
func TestOnboardingPermissionedPolicy(t *testing.T) {
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: participants("alice"), Permissioned: true})
	alice := net.Member("alice")
	c := dialRaw(t, net.APIAddress(0))
	actx := c.login(t, alice)
	dave := onboard(t, c)
	c.readEvents(t, actx, alice.ID, 0, 1) // dave's keys are on-chain now

	if err := c.authenticate(t.Context(), dave); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("authentication of a participant without permission: %v, want Unauthenticated", err)
	}
	tx := signedBatch(t, dave.ID, dave.Key, "sneak", &pb.Envelope{Recipients: to(alice.ID), Content: []byte("let me in")})
	if _, err := c.seq.Send(t.Context(), &pb.SendRequest{Submission: tx}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("send by a participant without permission: %v, want Unauthenticated", err)
	}
	if st, err := c.seq.Subscribe(t.Context(), &pb.SubscribeRequest{Member: dave.ID}); err == nil {
		if _, err = st.Recv(); status.Code(err) != codes.Unauthenticated {
			t.Fatalf("subscribe by a participant without permission: %v, want Unauthenticated", err)
		}
	}

	syncKey, err := net.SynchronizerKey()
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := crypto.ParseUID(net.SynchronizerID)
	dm, _ := crypto.ParseMember(dave.ID)
	grant := signedBatch(t, alice.ID, alice.Key, "grant",
		topoEnvelope(t, topology.NewParticipantPermission(uid, dm, topopb.ParticipantPermission_PARTICIPANT_PERMISSION_SUBMISSION), syncKey))
	if _, err := c.seq.Send(actx, &pb.SendRequest{Submission: grant}); err != nil {
		t.Fatalf("owners' permission: %v", err)
	}
	c.readEvents(t, actx, alice.ID, 1, 1) // the grant, broadcast (alice's receipt is the same event)
	dctx := c.login(t, dave)
	sendN(t, c, dctx, dave, "admitted", 1, alice.ID)
	got := c.readEvents(t, actx, alice.ID, 2, 1)
	if contents(got)[0] != "admitted-0" {
		t.Fatalf("alice received %q", contents(got))
	}
}
