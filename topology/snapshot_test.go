package topology_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/crypto"
	seqpb "github.com/cometsync/cometsync/proto/sequencerpb"
	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

// The sequencer routes with a topology snapshot.
var _ core.Membership = (*topology.Snapshot)(nil)

func TestSnapshotAtEffectiveTimes(t *testing.T) {
	f := newFixture(t, testSync)
	f.delay = 100
	alice := ns("alice")
	p1 := member(crypto.KindParticipant, "p1", alice)
	f.root("alice") // sequenced 1001, effective 1101
	out := f.ok(replace, 1, topology.NewVettedPackages(p1, "v1"), "alice")
	if out.ValidFrom != 1102 {
		t.Fatalf("valid from %d, want 1102", out.ValidFrom)
	}
	f.ok(replace, 2, topology.NewVettedPackages(p1, "v2"), "alice") // effective 1103
	for _, tc := range []struct {
		at   int64
		want []string
	}{{1000, nil}, {1102, nil}, {1103, []string{"v1"}}, {1104, []string{"v2"}}, {topology.Forever, []string{"v2"}}} {
		if got := f.st.SnapshotAt(tc.at).VettedPackages(p1.String()); !slices.Equal(got, tc.want) {
			t.Errorf("at %d: %v, want %v", tc.at, got, tc.want)
		}
	}
	if _, ok := f.st.SnapshotAt(1101).RootCertificate(alice); ok {
		t.Error("root certificate in force at its effective time")
	}
	if k, ok := f.st.SnapshotAt(1102).RootCertificate(alice); !ok || k.Fingerprint() != alice {
		t.Error("root certificate missing after its effective time")
	}
	f.ok(remove, 3, topology.NewVettedPackages(p1, "v2"), "alice") // effective 1104
	if got := f.st.SnapshotAt(1104).VettedPackages(p1.String()); !slices.Equal(got, []string{"v2"}) {
		t.Errorf("at removal time: %v", got)
	}
	if got := f.st.SnapshotAt(1105).VettedPackages(p1.String()); got != nil {
		t.Errorf("after removal: %v", got)
	}
	// Roots commit to content: equal content, equal root.
	if !bytes.Equal(f.st.SnapshotAt(1105).Root(), f.st.Head().Root()) || bytes.Equal(f.st.SnapshotAt(1103).Root(), f.st.Head().Root()) {
		t.Error("snapshot roots do not follow content")
	}
}

func TestTimesMustNotGoBackwards(t *testing.T) {
	st := topology.NewState(testSync)
	root := topology.Sign(mustTx(t, replace, 1, topology.NewRootCertificate(pub("a"))), false, key("a"))
	if _, err := st.Apply(root, 10, 9); !errorsIs(err, topology.ErrInvalidTime) {
		t.Fatalf("effective before sequenced: %v", err)
	}
	if _, err := st.Apply(root, 10, 50); err != nil {
		t.Fatal(err)
	}
	next := topology.Sign(mustTx(t, replace, 1, topology.NewRootCertificate(pub("b"))), false, key("b"))
	if _, err := st.Apply(next, 9, 60); !errorsIs(err, topology.ErrInvalidTime) {
		t.Fatalf("sequenced before the previous: %v", err)
	}
	// A lower effective time (the delay shrank) is raised to the previous one.
	out, err := st.Apply(next, 11, 11)
	if err != nil || out.ValidFrom != 50 {
		t.Fatalf("got %+v, %v", out, err)
	}
}

// membershipFixture: synchronizer governed by sync-root; one mediator, one sequencer,
// two participants of which only p1 has a synchronizer permission.
func membershipFixture(t *testing.T, policy pb.OnboardingPolicy) (*fixture, []crypto.Member) {
	f := newFixture(t, testSync)
	f.root("sync-root")
	f.root("ops")
	ms := []crypto.Member{
		member(crypto.KindParticipant, "p1", ns("ops")),
		member(crypto.KindParticipant, "p2", ns("ops")),
		member(crypto.KindMediator, "m1", ns("ops")),
		member(crypto.KindSequencer, "s1", ns("ops")),
		member(crypto.KindMediator, "m-unlisted", ns("ops")),
	}
	for _, m := range ms {
		f.ok(replace, 1, topology.NewOwnerToKeyMapping(m, []crypto.SigningPublicKey{pub(m.String())}), "ops", m.String())
	}
	f.ok(replace, 1, topology.NewSynchronizerParameters(testSync, testParameters(policy)), "sync-root")
	f.ok(replace, 1, topology.NewMediatorState(testSync, 0, 1, []crypto.Member{ms[2]}), "sync-root")
	f.ok(replace, 1, topology.NewSequencerState(testSync, 1, ms[3]), "sync-root")
	f.ok(replace, 1, topology.NewParticipantPermission(testSync, ms[0], submission), "sync-root")
	return f, ms
}

func TestMembership(t *testing.T) {
	for _, tc := range []struct {
		policy pb.OnboardingPolicy
		p2     bool
	}{{pb.OnboardingPolicy_ONBOARDING_POLICY_OPEN, true}, {pb.OnboardingPolicy_ONBOARDING_POLICY_PERMISSIONED, false}} {
		f, ms := membershipFixture(t, tc.policy)
		snap := f.st.Head()
		want := []string{ms[2].String(), ms[0].String(), ms[3].String()}
		if tc.p2 {
			want = append(want, ms[1].String())
		}
		slices.Sort(want)
		if got := snap.Members(); !slices.Equal(got, want) {
			t.Errorf("%v: members %v, want %v", tc.policy, got, want)
		}
		if snap.IsMember(ms[4].String()) {
			t.Errorf("an unlisted mediator is a member")
		}
		fp := pub(ms[0].String()).Fingerprint()
		if k, ok := snap.SigningKey(ms[0].String(), fp); !ok || k.Fingerprint() != fp || !slices.Equal(snap.SigningKeys(ms[0].String()), []crypto.Fingerprint{fp}) {
			t.Errorf("signing key of p1")
		}
		if g := snap.Group(seqpb.GroupKind_GROUP_KIND_MEDIATOR_GROUP, 0); !slices.Equal(g, []string{ms[2].String()}) {
			t.Errorf("mediator group %v", g)
		}
		if g := snap.Group(seqpb.GroupKind_GROUP_KIND_SEQUENCERS, 0); !slices.Equal(g, []string{ms[3].String()}) {
			t.Errorf("sequencers %v", g)
		}
		if g := snap.Group(seqpb.GroupKind_GROUP_KIND_MEDIATOR_GROUP, 7); g != nil {
			t.Errorf("unknown group %v", g)
		}
	}
}
