package core_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/seqapi"
	"github.com/cometsync/cometsync/topology"
)

func signedTopo(tb testing.TB, serial uint64, m *topopb.TopologyMapping, keys ...crypto.SigningPrivateKey) []byte {
	tb.Helper()
	tx, err := topology.NewTransaction(topopb.Operation_OPERATION_REPLACE, serial, m)
	if err != nil {
		tb.Fatal(err)
	}
	return topology.Sign(tx, false, keys...).Marshal()
}

// topoFixture is a synchronizer with an open onboarding policy set on-chain by its
// namespace key, and alice as a genesis member.
func topoFixture(t *testing.T) (*fixture, crypto.UID) {
	t.Helper()
	f := newFixture(t, core.DefaultParameters(), "PAR::alice")
	syncKey := testKey("synchronizer")
	uid, err := crypto.ParseUID(f.g.SynchronizerID)
	if err != nil {
		t.Fatal(err)
	}
	params := topology.NewSynchronizerParameters(uid, &topopb.SynchronizerParameters{
		OnboardingPolicy: topopb.OnboardingPolicy_ONBOARDING_POLICY_OPEN, DecisionTimeoutMicros: 1, MaxRequestSize: 1 << 20,
	})
	for _, b := range [][]byte{
		signedTopo(t, 1, topology.NewRootCertificate(syncKey.Public()), syncKey),
		signedTopo(t, 1, params, syncKey),
	} {
		f.g.Topology = append(f.g.Topology, base64.StdEncoding.EncodeToString(b))
	}
	if err := f.g.Validate(); err != nil {
		t.Fatal(err)
	}
	f.m = core.NewMachine(f.g)
	return f, uid
}

// onboarding returns dave's member id, key, and a submission carrying his root
// certificate and OwnerToKeyMapping to the topology manager.
func onboarding(t *testing.T, msgID string, serial uint64) (string, crypto.SigningPrivateKey, []byte) {
	t.Helper()
	k := testKey("dave")
	dave, _ := crypto.NewMember(crypto.KindParticipant, "dave", k.Fingerprint())
	tm := group(pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER, 0)
	req := request(dave.String(), msgID, t0+10_000_000,
		&pb.Envelope{Recipients: []*pb.Recipient{tm}, Content: signedTopo(t, serial, topology.NewRootCertificate(k.Public()), k)},
		&pb.Envelope{Recipients: []*pb.Recipient{tm}, Content: signedTopo(t, serial, topology.NewOwnerToKeyMapping(dave, []crypto.SigningPublicKey{k.Public()}), k)},
	)
	return dave.String(), k, signWith(k, req)
}

// TestTopologyManagerOnboardsAndBroadcasts: a non-member onboards itself through the
// topology manager under the open policy; every member receives its transactions; from
// the next block it is a member; a transaction with a stale serial is rejected with a
// DeliverError and changes nothing.
func TestTopologyManagerOnboardsAndBroadcasts(t *testing.T) {
	f, _ := topoFixture(t)
	x := f.newReplica(t)
	alice := f.id("PAR::alice")
	dave, daveKey, tx := onboarding(t, "join", 1)

	// Before onboarding, dave may not talk to members.
	early := signWith(daveKey, request(dave, "early", t0+10_000_000, envelope("hi", to(alice))))
	if out := x.exec(t0, early); out.TxResults[0].Code != seqapi.CodeUnknownSender {
		t.Fatalf("non-member send: %v %s", out.TxResults[0].Code, out.TxResults[0].Log)
	}
	out := x.exec(t0+1000, tx)
	if out.TxResults[0].Code != seqapi.CodeOK || out.Topology == nil {
		t.Fatalf("onboarding: %v %s", out.TxResults[0].Code, out.TxResults[0].Log)
	}
	if got := x.events(alice); len(got) != 1 || len(got[0].Batch.Envelopes) != 2 {
		t.Fatalf("alice should receive dave's two topology transactions, got %d events", len(got))
	}
	hello := signWith(daveKey, request(dave, "hello", t0+10_000_000, envelope("hello alice", to(alice))))
	if out := x.exec(t0+2000, hello); out.TxResults[0].Code != seqapi.CodeOK {
		t.Fatalf("dave after onboarding: %v %s", out.TxResults[0].Code, out.TxResults[0].Log)
	}
	if got := x.events(alice); len(got) != 2 || contents(got[1])[0] != "hello alice" {
		t.Fatalf("alice's stream after dave's message: %d events", len(got))
	}
	rootBefore := f.m.StateRoot()
	_, _, stale := onboarding(t, "again", 1) // serial 1 again: not the next serial
	staleReq := mustDecode(t, stale)
	out = x.exec(t0+3000, stale)
	if out.TxResults[0].Code != seqapi.CodeTopologyRejected || out.Topology != nil {
		t.Fatalf("stale serial: %v %s", out.TxResults[0].Code, out.TxResults[0].Log)
	}
	evs := x.events(dave)
	last := evs[len(evs)-1]
	if last.Kind != pb.EventKind_EVENT_KIND_DELIVER_ERROR || last.ErrorCode != pb.ErrorCode_ERROR_CODE_TOPOLOGY_REJECTED ||
		last.MessageId != staleReq.MessageId || !strings.Contains(last.ErrorReason, "serial") {
		t.Fatalf("dave's last event: %s", describeEvent(last))
	}
	if string(f.m.StateRoot()) != string(rootBefore) {
		t.Fatal("a rejected topology transaction changed the topology state")
	}
}

// TestTopologyStateSurvivesReload: a machine loaded from the committed state has the
// same topology (the member onboarded on-chain is still a member).
func TestTopologyStateSurvivesReload(t *testing.T) {
	f, _ := topoFixture(t)
	x := f.newReplica(t)
	dave, _, tx := onboarding(t, "join", 1)
	x.exec(t0, tx)
	m, err := core.LoadMachine(x.r)
	if err != nil {
		t.Fatal(err)
	}
	if !m.MembershipAt(t0+1).IsMember(dave) || string(m.StateRoot()) != string(f.m.StateRoot()) {
		t.Fatal("reloaded machine lost the on-chain topology")
	}
}

func mustDecode(t *testing.T, tx []byte) *pb.SubmissionRequest {
	t.Helper()
	s, rej := core.DecodeSubmission(tx)
	if rej != nil {
		t.Fatal(rej)
	}
	return s.Request
}

func describeEvent(ev *pb.SequencedEvent) string {
	return ev.Kind.String() + " " + ev.ErrorCode.String() + " " + ev.MessageId + " " + ev.ErrorReason
}

// TestMembersFollowingTheirStreamReachTheSequencersTopology: a genesis member that
// replays the topology envelopes of its own stream (topology.State.Follow) from the
// genesis topology ends with a state byte-identical to the sequencer's, through an
// onboarding, a rejected transaction and a key rotation.
func TestMembersFollowingTheirStreamReachTheSequencersTopology(t *testing.T) {
	f, _ := topoFixture(t)
	x := f.newReplica(t)
	alice := f.id("PAR::alice")
	dave, daveKey, join := onboarding(t, "join", 1)
	_, _, stale := onboarding(t, "stale", 1)
	newKey := testKey("dave-2")
	dm, _ := crypto.ParseMember(dave)
	tm := group(pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER, 0)
	rotate := signWith(daveKey, request(dave, "rotate", t0+10_000_000, &pb.Envelope{
		Recipients: []*pb.Recipient{tm},
		Content:    signedTopo(t, 2, topology.NewOwnerToKeyMapping(dm, []crypto.SigningPublicKey{newKey.Public()}), daveKey, newKey),
	}))
	x.exec(t0, join)
	x.exec(t0+1000, stale, rotate)

	follower, err := f.g.TopologyState()
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range x.events(alice) {
		if _, err := follower.Follow(ev); err != nil {
			t.Fatal(err)
		}
	}
	if string(follower.Hash()) != string(f.m.TopologyHash()) {
		t.Fatal("alice's replayed topology differs from the sequencer's")
	}
	// Seeing the stream again (after starting from a downloaded state) changes nothing.
	for _, ev := range x.events(alice) {
		if outs, err := follower.Follow(ev); err != nil || len(outs) != 0 {
			t.Fatalf("second replay of event %d: %d outcomes, %v", ev.Counter, len(outs), err)
		}
	}
	if otk, ok := follower.Head().OwnerToKeys(dave); !ok || len(otk.SigningKeys) != 1 || string(otk.SigningKeys[0]) != string(newKey.Public().Key) {
		t.Fatal("alice's topology lacks dave's rotated key")
	}
}
