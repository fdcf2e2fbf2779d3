package app_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/chaintest"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/testnet"
	"github.com/cometsync/cometsync/topology"
)

// openStream is a Subscribe stream read in the background: its events and how it ended.
type openStream struct {
	events chan *pb.SequencedEvent
	end    chan error
}

// stream subscribes as member from counter on c and reads until the stream ends.
func (c *rawClient) stream(t *testing.T, ctx context.Context, member string, from int64) *openStream {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	st, err := c.seq.Subscribe(ctx, &pb.SubscribeRequest{Member: member, FromCounter: from})
	if err != nil {
		t.Fatal(err)
	}
	s := &openStream{events: make(chan *pb.SequencedEvent, 64), end: make(chan error, 1)}
	go func() {
		for {
			res, err := st.Recv()
			if err != nil {
				s.end <- err
				return
			}
			s.events <- res.Event
		}
	}()
	return s
}

// next awaits the stream's next event.
func (s *openStream) next(t *testing.T) *pb.SequencedEvent {
	t.Helper()
	select {
	case ev := <-s.events:
		return ev
	case err := <-s.end:
		t.Fatalf("stream ended while an event was expected: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no event within 30s")
	}
	return nil
}

// until awaits the event carrying content and returns it, skipping the ones before.
func (s *openStream) until(t *testing.T, content string) *pb.SequencedEvent {
	t.Helper()
	for {
		if ev := s.next(t); slices.Contains(contents([]*pb.SequencedEvent{ev}), content) {
			return ev
		}
	}
}

// closed awaits the end of the stream after the events still buffered, and returns
// them with the status it ended with.
func (s *openStream) closed(t *testing.T) ([]*pb.SequencedEvent, error) {
	t.Helper()
	var evs []*pb.SequencedEvent
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev := <-s.events:
			evs = append(evs, ev)
		case err := <-s.end:
			for len(s.events) > 0 {
				evs = append(evs, <-s.events)
			}
			return evs, err
		case <-timeout:
			t.Fatalf("stream still open after 30s (%d more events)", len(evs))
		}
	}
}

func wantStatus(t *testing.T, what string, err error, code codes.Code, reason string) {
	t.Helper()
	if status.Code(err) != code || !strings.Contains(status.Convert(err).Message(), reason) {
		t.Fatalf("%s: %v, want %s with %q", what, err, code, reason)
	}
}

func removeEnvelope(t *testing.T, m *topopb.TopologyMapping, serial uint64, keys ...crypto.SigningPrivateKey) *pb.Envelope {
	t.Helper()
	return mappingEnvelope(t, topopb.Operation_OPERATION_REMOVE, serial, m, keys...)
}

func mappingEnvelope(t *testing.T, op topopb.Operation, serial uint64, m *topopb.TopologyMapping, keys ...crypto.SigningPrivateKey) *pb.Envelope {
	t.Helper()
	tx, err := topology.NewTransaction(op, serial, m)
	if err != nil {
		t.Fatal(err)
	}
	return &pb.Envelope{
		Recipients: []*pb.Recipient{{Group: pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER}},
		Content:    topology.Sign(tx, false, keys...).Marshal(),
	}
}

// removeMember has alice send the removal of dave's OwnerToKeyMapping (signed by dave's
// namespace key), which ends dave's membership.
func removeMember(t *testing.T, c *rawClient, actx context.Context, alice, dave testnet.Member) {
	t.Helper()
	dm, _ := crypto.ParseMember(dave.ID)
	tx := signedBatch(t, alice.ID, alice.Key, "remove-dave",
		removeEnvelope(t, topology.NewOwnerToKeyMapping(dm, []crypto.SigningPublicKey{dave.Key.Public()}), 2, dave.Key))
	if _, err := c.seq.Send(actx, &pb.SendRequest{Submission: tx}); err != nil {
		t.Fatalf("removal of %s: %v", dave.ID, err)
	}
}

func isTopology(ev *pb.SequencedEvent) bool {
	for _, env := range ev.GetBatch().GetEnvelopes() {
		if topology.IsTopologyEnvelope(env) {
			return true
		}
	}
	return false
}

// TestRemovedMemberLosesStreamAndToken: a participant that onboarded itself is removed
// (its OwnerToKeyMapping removed). Its open stream delivers everything sequenced up to
// the removal's effective time — including the removal, broadcast to it — and then ends
// with PermissionDenied naming the removal; its token is refused afterwards with the
// same reason, and it can no longer authenticate.
func TestRemovedMemberLosesStreamAndToken(t *testing.T) {
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: participants("alice")})
	alice := net.Member("alice")
	c := dialRaw(t, net.APIAddress(0))
	actx := c.login(t, alice)
	dave := onboard(t, c)
	c.readEvents(t, actx, alice.ID, 0, 1) // dave's registration is committed
	dctx := c.login(t, dave)
	ds := c.stream(t, dctx, dave.ID, 0)
	sendN(t, c, actx, alice, "hello", 1, dave.ID)
	hello := ds.until(t, "hello-0") // after the receipt of its registration

	removeMember(t, c, actx, alice, dave)
	reason := "member " + dave.ID + " was removed from the topology at "
	evs, err := ds.closed(t)
	wantStatus(t, "dave's stream", err, codes.PermissionDenied, reason)
	if len(evs) != 1 || !isTopology(evs[0]) || evs[0].Counter != hello.Counter+1 {
		t.Fatalf("dave's last events before the cut: %d, want only its removal at counter %d", len(evs), hello.Counter+1)
	}

	_, err = c.seq.Acknowledge(dctx, &pb.AcknowledgeRequest{Member: dave.ID, TimestampMicros: evs[0].TimestampMicros})
	wantStatus(t, "acknowledge with dave's old token", err, codes.Unauthenticated, "token revoked: "+reason)
	st, err := c.seq.Subscribe(dctx, &pb.SubscribeRequest{Member: dave.ID, FromCounter: 2})
	if err == nil {
		_, err = st.Recv()
	}
	wantStatus(t, "subscribe with dave's old token", err, codes.Unauthenticated, "token revoked: "+reason)
	// A removed member gets a challenge, as anyone does, and then cannot authenticate.
	ch, err := c.auth.Challenge(t.Context(), &pb.ChallengeRequest{Member: dave.ID})
	if err != nil {
		t.Fatalf("challenge of the removed member: %v", err)
	}
	_, err = c.auth.Authenticate(t.Context(), &pb.AuthenticateRequest{Member: dave.ID, Nonce: ch.Nonce,
		Signature: dave.Key.SignHash(apiAuthHash(ch.Nonce, c.syncID)), KeyFingerprint: string(dave.Key.Fingerprint())})
	wantStatus(t, "authentication of the removed member", err, codes.Unauthenticated, "not signed by a current signing key")
	// alice, untouched, keeps her stream and token.
	if got := c.readEvents(t, actx, alice.ID, 0, 3); !isTopology(got[2]) {
		t.Fatalf("alice's event 2 is not dave's removal: %s", describe(got[2]))
	}
}

// TestRevokedPermissionCutsParticipant: on a permissioned synchronizer, revoking a
// participant's ParticipantSynchronizerPermission ends its membership like a removal.
func TestRevokedPermissionCutsParticipant(t *testing.T) {
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: participants("alice"), Permissioned: true})
	alice := net.Member("alice")
	c := dialRaw(t, net.APIAddress(0))
	actx := c.login(t, alice)
	dave := onboard(t, c)
	c.readEvents(t, actx, alice.ID, 0, 1)
	syncKey, err := net.SynchronizerKey()
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := crypto.ParseUID(net.SynchronizerID)
	dm, _ := crypto.ParseMember(dave.ID)
	perm := topology.NewParticipantPermission(uid, dm, topopb.ParticipantPermission_PARTICIPANT_PERMISSION_SUBMISSION)
	if _, err := c.seq.Send(actx, &pb.SendRequest{Submission: signedBatch(t, alice.ID, alice.Key, "grant", topoEnvelope(t, perm, syncKey))}); err != nil {
		t.Fatalf("grant: %v", err)
	}
	c.readEvents(t, actx, alice.ID, 1, 1)
	dctx := c.login(t, dave)
	ds := c.stream(t, dctx, dave.ID, 0)

	revoke := signedBatch(t, alice.ID, alice.Key, "revoke", removeEnvelope(t, perm, 2, syncKey))
	if _, err := c.seq.Send(actx, &pb.SendRequest{Submission: revoke}); err != nil {
		t.Fatalf("revocation: %v", err)
	}
	reason := "member " + dave.ID + " was removed from the topology at "
	evs, err := ds.closed(t)
	wantStatus(t, "dave's stream", err, codes.PermissionDenied, reason)
	if len(evs) == 0 || !isTopology(evs[len(evs)-1]) {
		t.Fatalf("dave's stream did not end with its revocation (%d events)", len(evs))
	}
	_, err = c.seq.Send(dctx, &pb.SendRequest{Submission: submission(dave.ID, dave.Key, "late", timeSoon(), []byte("x"), to(alice.ID)...)})
	wantStatus(t, "send with dave's old token", err, codes.Unauthenticated, "token revoked: "+reason)
}

// TestRotatedKeyCutsStreamAndToken: a member rotates its signing key. Its stream, opened
// with a token of the old key, delivers up to the rotation and ends with Unauthenticated
// naming the old key; the old token is refused; a token of the new key resumes the
// stream at the next counter, without a gap.
func TestRotatedKeyCutsStreamAndToken(t *testing.T) {
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: participants("alice", "bob")})
	alice, bob := net.Member("alice"), net.Member("bob")
	c := dialRaw(t, net.APIAddress(0))
	actx, bctx := c.login(t, alice), c.login(t, bob)
	as := c.stream(t, actx, alice.ID, 0)
	sendN(t, c, bctx, bob, "before", 2, alice.ID)
	for i := 0; i < 2; i++ {
		as.next(t)
	}

	newKey, _ := crypto.GenerateSigningKey(nil)
	am, _ := crypto.ParseMember(alice.ID)
	rotate := signedBatch(t, alice.ID, alice.Key, "rotate",
		topoEnvelope(t, topology.NewRootCertificate(alice.Key.Public()), alice.Key),
		topoEnvelope(t, topology.NewOwnerToKeyMapping(am, []crypto.SigningPublicKey{newKey.Public()}), alice.Key, newKey))
	if _, err := c.seq.Send(actx, &pb.SendRequest{Submission: rotate}); err != nil {
		t.Fatalf("rotation: %v", err)
	}
	reason := "signing key " + string(alice.Key.Fingerprint()) + " of " + alice.ID + " was revoked or rotated at "
	evs, err := as.closed(t)
	wantStatus(t, "alice's stream", err, codes.Unauthenticated, reason)
	if !strings.HasSuffix(status.Convert(err).Message(), ": authenticate again") {
		t.Fatalf("reason %q does not say to authenticate again", status.Convert(err).Message())
	}
	if len(evs) != 1 || evs[0].Counter != 2 || evs[0].MessageId != "rotate" {
		t.Fatalf("alice's events before the cut: %d, want only the receipt of her rotation at counter 2", len(evs))
	}
	_, err = c.seq.Acknowledge(actx, &pb.AcknowledgeRequest{Member: alice.ID, TimestampMicros: evs[0].TimestampMicros})
	wantStatus(t, "acknowledge with the old key's token", err, codes.Unauthenticated, "token revoked: "+reason)

	rotated := testnet.Member{ID: alice.ID, Key: newKey}
	nctx := c.login(t, rotated)
	ns := c.stream(t, nctx, alice.ID, 3)
	sendN(t, c, bctx, bob, "after", 1, alice.ID)
	ev := ns.next(t)
	if ev.Counter != 3 || contents([]*pb.SequencedEvent{ev})[0] != "after-0" {
		t.Fatalf("resumed stream starts with %s, want counter 3 with after-0", describe(ev))
	}
	if _, err := c.seq.Acknowledge(nctx, &pb.AcknowledgeRequest{Member: alice.ID, TimestampMicros: ev.TimestampMicros}); err != nil {
		t.Fatalf("acknowledge with the new key's token: %v", err)
	}
}

// TestRemovalCutsStreamsOnEveryNodeAlike: a member subscribed to two of four validators
// is cut off by both at the same point of the chain: same last counter, same reason.
func TestRemovalCutsStreamsOnEveryNodeAlike(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-validator network")
	}
	net := chaintest.Start(t, testnet.Options{Validators: 4, Members: participants("alice")})
	alice := net.Member("alice")
	c0, c1 := dialRaw(t, net.APIAddress(0)), dialRaw(t, net.APIAddress(1))
	actx := c0.login(t, alice)
	dave := onboard(t, c0)
	c0.readEvents(t, actx, alice.ID, 0, 1) // both nodes have committed dave's registration
	c1.readEvents(t, c1.login(t, alice), alice.ID, 0, 1)
	s0 := c0.stream(t, c0.login(t, dave), dave.ID, 0)
	s1 := c1.stream(t, c1.login(t, dave), dave.ID, 0)
	sendN(t, c0, actx, alice, "hello", 3, dave.ID)
	last := s0.until(t, "hello-2")
	if ev := s1.until(t, "hello-2"); ev.Counter != last.Counter {
		t.Fatalf("hello-2 at counter %d on node 1, %d on node 0", ev.Counter, last.Counter)
	}
	removeMember(t, c0, actx, alice, dave)
	evs0, err0 := s0.closed(t)
	evs1, err1 := s1.closed(t)
	reason := "member " + dave.ID + " was removed from the topology at "
	wantStatus(t, "dave's stream on node 0", err0, codes.PermissionDenied, reason)
	wantStatus(t, "dave's stream on node 1", err1, codes.PermissionDenied, reason)
	if m0, m1 := status.Convert(err0).Message(), status.Convert(err1).Message(); m0 != m1 {
		t.Fatalf("the nodes cut at different points: %q vs %q", m0, m1)
	}
	sameEvents(t, "dave's last events on node 1 vs node 0", evs1, evs0)
	if len(evs0) != 1 || evs0[0].Counter != last.Counter+1 || !isTopology(evs0[0]) {
		t.Fatalf("dave's stream did not end with its removal at counter %d (%d events after hello-2)", last.Counter+1, len(evs0))
	}
}

// TestRotationCutsAtEffectiveTimeAfterDelay: with a topology change delay, a rotation
// sequenced at s takes effect at s+delay. The old key's stream delivers exactly the
// events sequenced up to the effective time (bob keeps sending until one is sequenced
// after it) and ends; the new key's stream continues with the first event after it.
func TestRotationCutsAtEffectiveTimeAfterDelay(t *testing.T) {
	const delay = 500 * time.Millisecond
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: participants("alice", "bob")})
	alice, bob := net.Member("alice"), net.Member("bob")
	c := dialRaw(t, net.APIAddress(0))
	actx, bctx := c.login(t, alice), c.login(t, bob)
	setChangeDelay(t, c, actx, net, alice, delay) // in force at once: the genesis delay is 0
	as := c.stream(t, actx, alice.ID, 1)

	newKey, _ := crypto.GenerateSigningKey(nil)
	am, _ := crypto.ParseMember(alice.ID)
	rotate := signedBatch(t, alice.ID, alice.Key, "rotate",
		topoEnvelope(t, topology.NewRootCertificate(alice.Key.Public()), alice.Key),
		topoEnvelope(t, topology.NewOwnerToKeyMapping(am, []crypto.SigningPublicKey{newKey.Public()}), alice.Key, newKey))
	if _, err := c.seq.Send(actx, &pb.SendRequest{Submission: rotate}); err != nil {
		t.Fatalf("rotation: %v", err)
	}
	receipt := as.next(t)
	effective := receipt.TimestampMicros + delay.Microseconds()
	old := []*pb.SequencedEvent{receipt}
	var cut error
	for i := 0; cut == nil; i++ {
		sendN(t, c, bctx, bob, fmt.Sprintf("msg%d", i), 1, alice.ID)
		select {
		case ev := <-as.events:
			old = append(old, ev)
		case cut = <-as.end:
		case <-time.After(30 * time.Second):
			t.Fatal("alice's old stream neither delivered nor ended within 30s")
		}
	}
	for len(as.events) > 0 {
		old = append(old, <-as.events)
	}
	wantStatus(t, "alice's old stream", cut, codes.Unauthenticated,
		"signing key "+string(alice.Key.Fingerprint())+" of "+alice.ID+" was revoked or rotated at "+time.UnixMicro(effective).UTC().Format(time.RFC3339Nano))
	for i, ev := range old {
		if ev.Counter != int64(1+i) || ev.TimestampMicros > effective {
			t.Fatalf("old stream's event %d: %s, want counter %d at or before %d", i, describe(ev), 1+i, effective)
		}
	}
	if len(old) < 2 {
		t.Logf("no message of bob's was sequenced within the delay")
	}
	next := int64(1 + len(old))
	ns := c.stream(t, c.login(t, testnet.Member{ID: alice.ID, Key: newKey}), alice.ID, next)
	if ev := ns.next(t); ev.Counter != next || ev.TimestampMicros <= effective {
		t.Fatalf("new stream starts with %s, want counter %d after %d", describe(ev), next, effective)
	}
}

// setChangeDelay has the synchronizer owner set the topology change delay on-chain and
// waits until sender has seen it (its event 0).
func setChangeDelay(t *testing.T, c *rawClient, ctx context.Context, net *testnet.Network, sender testnet.Member, delay time.Duration) {
	t.Helper()
	syncKey, err := net.SynchronizerKey()
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := crypto.ParseUID(net.SynchronizerID)
	m := topology.NewSynchronizerParameters(uid, &topopb.SynchronizerParameters{
		TopologyChangeDelayMicros:     delay.Microseconds(),
		DecisionTimeoutMicros:         topology.DefaultDecisionTimeout.Microseconds(),
		LedgerTimeToleranceMicros:     topology.DefaultLedgerTimeTolerance.Microseconds(),
		MediatorReactionTimeoutMicros: topology.DefaultMediatorReactionTimeout.Microseconds(),
		MaxRequestSize:                core.DefaultParameters().MaxRequestSize,
		OnboardingPolicy:              topopb.OnboardingPolicy_ONBOARDING_POLICY_OPEN,
	})
	tx := signedBatch(t, sender.ID, sender.Key, "change-delay", mappingEnvelope(t, topopb.Operation_OPERATION_REPLACE, 2, m, syncKey))
	if _, err := c.seq.Send(ctx, &pb.SendRequest{Submission: tx}); err != nil {
		t.Fatalf("change delay: %v", err)
	}
	if ev := c.readEvents(t, ctx, sender.ID, 0, 1)[0]; !isTopology(ev) {
		t.Fatalf("%s's event 0 is not the parameters change: %s", sender.ID, describe(ev))
	}
}

// TestDriverStopsForRemovedMember: the driver's Subscribe ends with the PermissionDenied
// of the cut (it does not retry) once its member is removed.
func TestDriverStopsForRemovedMember(t *testing.T) {
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: participants("alice")})
	alice := net.Member("alice")
	c := dialRaw(t, net.APIAddress(0))
	actx := c.login(t, alice)
	dave := onboard(t, c)
	c.readEvents(t, actx, alice.ID, 0, 1)
	cfg := driver.DefaultConfig()
	cfg.Endpoints, cfg.Member, cfg.SigningKey = []string{net.APIAddress(0)}, dave.ID, dave.Key
	dc, err := driver.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	seen := make(chan *pb.SequencedEvent, 16)
	done := make(chan error, 1)
	go func() {
		done <- dc.Subscribe(t.Context(), 0, func(_ context.Context, ev *pb.SequencedEvent) error { seen <- ev; return nil })
	}()
	<-seen // the receipt of its registration: the subscription is open
	removeMember(t, c, actx, alice, dave)
	select {
	case err := <-done:
		wantStatus(t, "driver subscription of the removed member", err, codes.PermissionDenied, "member "+dave.ID+" was removed from the topology at ")
	case <-time.After(30 * time.Second):
		t.Fatal("the driver's subscription did not end within 30s")
	}
}
