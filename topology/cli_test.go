package topology_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/topology"
)

// TestCLIMergeAndPreview: signatures collected on separate copies merge into one
// canonical signed transaction, and Preview says what a proposal still lacks — taking
// the stored proposal's signatures into account — without changing the state.
func TestCLIMergeAndPreview(t *testing.T) {
	f := newFixture(t, uid("sync", ns("sync")))
	for _, n := range []string{"owner", "p1", "p2"} {
		f.root(n)
	}
	party := uid("alice", ns("owner"))
	ptp := topology.NewPartyToParticipant(party, 1,
		topology.Host(member(crypto.KindParticipant, "p1", ns("p1")), confirmation),
		topology.Host(member(crypto.KindParticipant, "p2", ns("p2")), confirmation))
	tx := mustTx(t, replace, 1, ptp)

	byOwner, byP1 := topology.Sign(tx, true, key("owner")), topology.Sign(tx, false, key("p1"))
	merged, err := byP1.Merge(byOwner)
	if err != nil {
		t.Fatal(err)
	}
	if want := []crypto.Fingerprint{ns("owner"), ns("p1")}; !sameSet(merged.SignedBy(), want) || !merged.Proposal {
		t.Fatalf("merged signers %v proposal %v, want %v and a proposal", merged.SignedBy(), merged.Proposal, want)
	}
	if !slices.IsSorted(merged.SignedBy()) {
		t.Fatalf("merged signatures not sorted: %v", merged.SignedBy())
	}
	other := topology.Sign(mustTx(t, replace, 2, ptp), false, key("p2"))
	if _, err := merged.Merge(other); !errors.Is(err, topology.ErrDifferentTransactions) {
		t.Fatalf("merging another transaction: %v", err)
	}

	before := f.st.Hash()
	out, err := f.st.Preview(merged)
	if err != nil || out.Kind != topology.OutcomeProposed || !slices.Equal(out.Missing.Namespaces, []crypto.Fingerprint{ns("p2")}) {
		t.Fatalf("preview: %+v, %v; want a proposal missing p2", out, err)
	}
	if string(before) != string(f.st.Hash()) {
		t.Fatal("Preview changed the state")
	}
	// Stored on the state, the proposal counts: p2's signature alone completes it.
	if _, err := f.st.Apply(merged, f.now+1, f.now+1); err != nil {
		t.Fatal(err)
	}
	f.now++
	if out, err := f.st.Preview(topology.Sign(tx, false, key("p2"))); err != nil || out.Kind != topology.OutcomeApplied {
		t.Fatalf("preview with the stored proposal: %+v, %v; want applied", out, err)
	}
	var ue *topology.UnauthorizedError
	if _, err := f.st.Preview(topology.Sign(mustTx(t, replace, 1, topology.NewPartyToParticipant(uid("bob", ns("owner")), 1, topology.Host(member(crypto.KindParticipant, "p1", ns("p1")), confirmation))), false, key("p1"))); !errors.As(err, &ue) {
		t.Fatalf("preview of an unauthorized non-proposal: %v, want an UnauthorizedError", err)
	}
}

func sameSet(a, b []crypto.Fingerprint) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
