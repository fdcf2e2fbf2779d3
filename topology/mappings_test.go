package topology_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

func TestOwnerToKeyMapping(t *testing.T) {
	f := newFixture(t, testSync)
	alice := ns("alice")
	p1 := member(crypto.KindParticipant, "p1", alice)
	enc := &pb.EncryptionKey{Scheme: "hpke-mlkem768-x25519", Key: []byte("opaque")}
	otk := func(keys ...string) *pb.TopologyMapping {
		var ks []crypto.SigningPublicKey
		for _, k := range keys {
			ks = append(ks, pub(k))
		}
		return topology.NewOwnerToKeyMapping(p1, ks, enc)
	}
	f.root("alice")
	f.root("bob")
	// Proof of possession: every listed key signs.
	err := f.fails(topology.ErrUnauthorized, replace, 1, otk("k1", "k2"), "alice", "k1")
	var ue *topology.UnauthorizedError
	if !errors.As(err, &ue) || !slices.Equal(ue.Keys, []crypto.Fingerprint{ns("k2")}) || len(ue.Namespaces) != 0 {
		t.Fatalf("got %v", err)
	}
	// The member's namespace signs.
	err = f.fails(topology.ErrUnauthorized, replace, 1, otk("k1"), "bob", "k1")
	if !errors.As(err, &ue) || !slices.Equal(ue.Namespaces, []crypto.Fingerprint{alice}) {
		t.Fatalf("got %v", err)
	}
	f.ok(replace, 1, otk("k1", "k2"), "alice", "k1", "k2")
	// Rotate: k1 removed, k3 added.
	f.ok(replace, 2, otk("k2", "k3"), "alice", "k2", "k3")
	snap := f.st.Head()
	m, ok := snap.OwnerToKeys(p1.String())
	if !ok || len(m.SigningKeys) != 2 || len(snap.EncryptionKeys(p1.String())) != 1 {
		t.Fatalf("keys %+v", m)
	}
	// The removed key can no longer sign anything.
	f.fails(topology.ErrInvalidSignature, replace, 1, topology.NewVettedPackages(p1), "k1")
	// A REMOVE needs the namespace only.
	f.fails(topology.ErrUnauthorized, remove, 3, otk("k2", "k3"), "k2", "k3")
	f.ok(remove, 3, otk("k2", "k3"), "alice")
	f.fails(topology.ErrNoSuchMapping, remove, 4, otk("k2", "k3"), "alice")
}

// TestPartyHostedOnThreeParticipants follows seed 004: a decentralized party in the
// owners' namespace, hosted with confirmation threshold 2 on three participants that
// each consent; each owner-participant pair signs the same transaction.
func TestPartyHostedOnThreeParticipants(t *testing.T) {
	f := newFixture(t, testSync)
	dns := governed(t, f)
	var ps []crypto.Member
	for _, name := range []string{"p1", "p2", "p3", "p4"} {
		f.root(name + "-ns")
		p := member(crypto.KindParticipant, name, ns(name+"-ns"))
		f.ok(replace, 1, topology.NewOwnerToKeyMapping(p, []crypto.SigningPublicKey{pub(name + "-key")}), name+"-ns", name+"-key")
		ps = append(ps, p)
	}
	party := uid("decentralized-party", dns)
	ptp := topology.NewPartyToParticipant(party, 2, topology.Host(ps[0], confirmation), topology.Host(ps[1], confirmation), topology.Host(ps[2], confirmation))
	steps := []struct {
		signers []string
		want    topology.OutcomeKind
	}{
		{[]string{"o1", "p1-ns"}, topology.OutcomeProposed},
		{[]string{"o2", "p2-ns"}, topology.OutcomeMerged}, // threshold met, p3 has not consented
		{[]string{"o3", "p3-ns"}, topology.OutcomeApplied},
	}
	for i, s := range steps {
		out, err := f.submit(replace, 1, ptp, true, s.signers...)
		if err != nil || out.Kind != s.want {
			t.Fatalf("step %d: %+v, %v; want %v", i, out.Kind, err, s.want)
		}
		if i == 1 && (!slices.Equal(out.Missing.Namespaces, []crypto.Fingerprint{ns("p3-ns")}) || len(out.Missing.Thresholds) != 0) {
			t.Fatalf("step 1 missing %+v, want only p3's consent", out.Missing)
		}
	}
	snap := f.st.Head()
	got, ok := snap.PartyToParticipant(party.String())
	if !ok || got.Threshold != 2 || len(got.Participants) != 3 {
		t.Fatalf("hosting %+v", got)
	}
	if h := snap.HostedParties(ps[1].String()); len(h) != 1 || h[0].Party != party.String() || h[0].Permission != confirmation {
		t.Fatalf("hosted by p2: %+v", h)
	}
	// Dropping p3 needs only the party's namespace; adding p4 needs p4's consent.
	f.ok(replace, 2, topology.NewPartyToParticipant(party, 2, topology.Host(ps[0], confirmation), topology.Host(ps[1], confirmation)), "o1", "o2")
	add4 := topology.NewPartyToParticipant(party, 2, topology.Host(ps[0], confirmation), topology.Host(ps[1], confirmation), topology.Host(ps[3], observation))
	f.fails(topology.ErrUnauthorized, replace, 3, add4, "o1", "o3")
	f.ok(replace, 3, add4, "o1", "o3", "p4-ns")
	if h := f.st.Head().HostedParties(ps[2].String()); len(h) != 0 {
		t.Fatalf("p3 still hosts %+v", h)
	}
	// A threshold above the confirming participants is invalid.
	bad := topology.NewPartyToParticipant(party, 3, topology.Host(ps[0], confirmation), topology.Host(ps[1], submission), topology.Host(ps[3], observation))
	if _, err := topology.NewTransaction(replace, 4, bad); !errors.Is(err, topology.ErrInvalidMapping) {
		t.Fatalf("threshold 3 of 2 confirming: %v", err)
	}
}

func TestSynchronizerMappings(t *testing.T) {
	f := newFixture(t, testSync)
	f.root("sync-root")
	f.root("alice")
	other := uid("other", ns("sync-root"))
	params := testParameters(pb.OnboardingPolicy_ONBOARDING_POLICY_PERMISSIONED)
	f.fails(topology.ErrInvalidMapping, replace, 1, topology.NewSynchronizerParameters(other, params), "sync-root")
	f.fails(topology.ErrUnauthorized, replace, 1, topology.NewSynchronizerParameters(testSync, params), "alice")
	f.ok(replace, 1, topology.NewSynchronizerParameters(testSync, params), "sync-root")
	med := member(crypto.KindMediator, "m1", ns("alice"))
	f.fails(topology.ErrUnauthorized, replace, 1, topology.NewMediatorState(testSync, 0, 1, []crypto.Member{med}), "alice")
	f.ok(replace, 1, topology.NewMediatorState(testSync, 0, 1, []crypto.Member{med}), "sync-root")
	seq := member(crypto.KindSequencer, "s1", ns("alice"))
	f.fails(topology.ErrUnauthorized, replace, 1, topology.NewSequencerState(testSync, 1, seq), "alice")
	f.ok(replace, 1, topology.NewSequencerState(testSync, 1, seq), "sync-root")
	par := member(crypto.KindParticipant, "p1", ns("alice"))
	f.fails(topology.ErrUnauthorized, replace, 1, topology.NewParticipantPermission(testSync, par, submission), "alice")
	f.ok(replace, 1, topology.NewParticipantPermission(testSync, par, submission), "sync-root")
	f.fails(topology.ErrUnauthorized, replace, 1, topology.NewVettedPackages(par, "pkg"), "sync-root")
	f.ok(replace, 1, topology.NewVettedPackages(par, "pkg-b", "pkg-a"), "alice")
	snap := f.st.Head()
	if got := snap.VettedPackages(par.String()); !slices.Equal(got, []string{"pkg-a", "pkg-b"}) {
		t.Fatalf("vetted %v", got)
	}
	if p, ok := snap.ParticipantPermission(par.String()); !ok || p != submission {
		t.Fatalf("permission %v %v", p, ok)
	}
	if g, ok := snap.MediatorGroup(0); !ok || g.Threshold != 1 {
		t.Fatalf("group %+v", g)
	}
	if p, ok := snap.Parameters(); !ok || p.TopologyChangeDelayMicros != 250_000 {
		t.Fatalf("parameters %+v", p)
	}
}
