package topology_test

import (
	"errors"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

func testParameters(policy pb.OnboardingPolicy) *pb.SynchronizerParameters {
	return &pb.SynchronizerParameters{
		TopologyChangeDelayMicros: 250_000, DecisionTimeoutMicros: 30_000_000,
		LedgerTimeToleranceMicros: 60_000_000, MaxRequestSize: 1 << 20, OnboardingPolicy: policy,
	}
}

// ownersNamespace is the decentralized namespace of o1, o2 and o3.
var ownersNamespace = topology.DecentralizedNamespace([]crypto.Fingerprint{ns("o1"), ns("o2"), ns("o3")})

// governed sets up three owners o1..o3 with root certificates and their decentralized
// namespace with threshold 2, defined through proposals; it returns the namespace.
func governed(t testing.TB, f *fixture) crypto.Fingerprint {
	t.Helper()
	for _, o := range []string{"o1", "o2", "o3"} {
		f.root(o)
	}
	dns := ownersNamespace
	def := topology.NewDecentralizedNamespace(dns, 2, ns("o1"), ns("o2"), ns("o3"))
	for i, o := range []string{"o1", "o2", "o3"} {
		out, err := f.submit(replace, 1, def, true, o)
		if err != nil {
			t.Fatalf("owner %s: %v", o, err)
		}
		want := []topology.OutcomeKind{topology.OutcomeProposed, topology.OutcomeMerged, topology.OutcomeApplied}[i]
		if out.Kind != want {
			t.Fatalf("owner %s: outcome %v, want %v (the first definition needs every owner)", o, out.Kind, want)
		}
		if i == 2 && (!out.FromProposal || len(out.Transaction.Signatures) != 3) {
			t.Fatalf("applied %+v, want the three merged signatures", out)
		}
	}
	return dns
}

func TestDecentralizedNamespaceGovernsSynchronizer(t *testing.T) {
	sync := uid("global", ownersNamespace)
	f := newFixture(t, sync)
	dns := governed(t, f)
	params := topology.NewSynchronizerParameters(sync, testParameters(pb.OnboardingPolicy_ONBOARDING_POLICY_OPEN))

	// One owner is not enough: rejected without the proposal flag...
	err := f.fails(topology.ErrThresholdNotMet, replace, 1, params, "o1")
	var ue *topology.UnauthorizedError
	if !errors.As(err, &ue) || len(ue.Thresholds) != 1 || ue.Thresholds[0].Authorized != 1 || ue.Thresholds[0].Threshold != 2 {
		t.Fatalf("got %v", err)
	}
	// ...and kept as a proposal with it.
	out, err := f.submit(replace, 1, params, true, "o1")
	if err != nil || out.Kind != topology.OutcomeProposed || out.Missing == nil {
		t.Fatalf("got %+v, %v", out, err)
	}
	if len(f.st.Proposals()) != 1 {
		t.Fatalf("proposals %d, want 1", len(f.st.Proposals()))
	}
	// A non-owner's signature adds nothing and is not a proposal on its own.
	f.root("outsider")
	if _, err := f.submit(replace, 1, topology.NewSequencerState(sync, 1, member(crypto.KindSequencer, "s", dns)), true, "outsider"); !errors.Is(err, topology.ErrUnauthorized) {
		t.Fatalf("outsider: %v", err)
	}
	out, err = f.submit(replace, 1, params, false, "o3")
	if err != nil || out.Kind != topology.OutcomeApplied || !out.FromProposal {
		t.Fatalf("second owner: %+v, %v", out, err)
	}
	if len(f.st.Proposals()) != 0 {
		t.Fatalf("the applied proposal is still pending")
	}
	// Two owners at once.
	f.ok(replace, 1, topology.NewSequencerState(sync, 1, member(crypto.KindSequencer, "s1", dns)), "o1", "o2")
}

func TestDecentralizedNamespaceOwnerChanges(t *testing.T) {
	sync := uid("global", ownersNamespace)
	f := newFixture(t, sync)
	dns := governed(t, f)
	f.root("o4")
	add := topology.NewDecentralizedNamespace(dns, 2, ns("o1"), ns("o2"), ns("o3"), ns("o4"))
	// Threshold of the current owners, plus the new owner's consent.
	err := f.fails(topology.ErrUnauthorized, replace, 2, add, "o1", "o2")
	if errors.Is(err, topology.ErrThresholdNotMet) {
		t.Fatalf("the threshold is met; only o4 is missing: %v", err)
	}
	f.fails(topology.ErrThresholdNotMet, replace, 2, add, "o1", "o4")
	f.ok(replace, 2, add, "o1", "o2", "o4")
	// Remove o1 with o2 and o4.
	f.ok(replace, 3, topology.NewDecentralizedNamespace(dns, 2, ns("o2"), ns("o3"), ns("o4")), "o2", "o4")
	snap := f.st.Head()
	if d, ok := snap.DecentralizedNamespace(dns); !ok || len(d.Owners) != 3 || d.Namespace != string(dns) {
		t.Fatalf("definition %+v", d)
	}
	// o1 no longer counts.
	seqs := topology.NewSequencerState(sync, 1, member(crypto.KindSequencer, "s1", dns))
	f.fails(topology.ErrThresholdNotMet, replace, 1, seqs, "o1", "o2")
	f.ok(replace, 1, seqs, "o3", "o4")
	// A first definition must carry the derived namespace.
	f.fails(topology.ErrInvalidMapping, replace, 1, topology.NewDecentralizedNamespace(ns("o1"), 1, ns("o2")), "o2")
	// Delegations into a decentralized namespace are refused.
	f.fails(topology.ErrInvalidMapping, replace, 1, topology.NewNamespaceDelegation(dns, pub("k"), topology.RestrictAll()), "o2", "o3")
	// Removing the namespace needs the threshold too.
	f.fails(topology.ErrThresholdNotMet, remove, 4, topology.NewDecentralizedNamespace(dns, 2, ns("o2"), ns("o3"), ns("o4")), "o2")
	f.ok(remove, 4, topology.NewDecentralizedNamespace(dns, 2, ns("o2"), ns("o3"), ns("o4")), "o2", "o3")
	f.fails(topology.ErrUnauthorized, replace, 2, seqs, "o3", "o4")
}
