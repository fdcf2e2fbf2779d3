package topology_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

// TestSerialAndStatus: Serial counts per unique key (a REMOVE included), and Status
// tells an applied transaction, a pending proposal with what it lacks, a proposal whose
// signatures now suffice, and an unknown one.
func TestSerialAndStatus(t *testing.T) {
	f := newFixture(t, uid("sync", ns("sync")))
	for _, n := range []string{"owner", "p1", "p2"} {
		f.root(n)
	}
	p1, p2 := member(crypto.KindParticipant, "p1", ns("p1")), member(crypto.KindParticipant, "p2", ns("p2"))
	party := uid("alice", ns("owner"))
	alone := topology.NewPartyToParticipant(party, 1, topology.Host(p1, confirmation))
	slot := topology.PartyToParticipantKey(party.String())
	if got := f.st.Serial(slot); got != 0 {
		t.Fatalf("serial before any transaction: %d", got)
	}
	f.ok(replace, 1, alone, "owner", "p1")
	f.ok(remove, 2, alone, "owner")
	if got := f.st.Serial(slot); got != 2 {
		t.Fatalf("serial after replace and remove: %d, want 2", got)
	}
	applied := topology.Sign(mustTx(t, replace, 1, alone), false, key("owner"), key("p1"))
	if s := f.st.Status(applied); !s.Applied || s.ValidFrom == 0 || !s.Visible() || s.Proposal != nil {
		t.Fatalf("status of an applied transaction: %+v", s)
	}

	both := topology.NewPartyToParticipant(party, 1, topology.Host(p1, confirmation), topology.Host(p2, confirmation))
	tx := mustTx(t, replace, 3, both)
	byOwner := topology.Sign(tx, true, key("owner"))
	if s := f.st.Status(byOwner); s.Applied || s.Proposal != nil || s.Visible() {
		t.Fatalf("status of an unknown transaction: %+v", s)
	}
	if _, err := f.st.Apply(byOwner, f.now+1, f.now+1); err != nil {
		t.Fatal(err)
	}
	f.now++
	before := f.st.Hash()
	s := f.st.Status(byOwner)
	if s.Applied || s.Proposal == nil || s.Ready || !s.Visible() || s.Missing == nil || !sameSet(s.Missing.Namespaces, []crypto.Fingerprint{ns("p1"), ns("p2")}) {
		t.Fatalf("status of a proposal missing p1 and p2: %+v (missing %+v)", s, s.Missing)
	}
	if s := f.st.Status(topology.Sign(tx, false, key("p1"))); s.Visible() || s.Ready {
		t.Fatalf("a proposal without p1's signature stored shows it: %+v", s)
	}
	if s := f.st.Status(topology.Sign(tx, false, key("p1"), key("p2"))); !s.Ready || s.Missing != nil {
		t.Fatalf("status with the remaining signatures: %+v, want ready", s)
	}
	if !bytes.Equal(before, f.st.Hash()) {
		t.Fatal("Status changed the state")
	}
}

// TestKeyForms: the exported key forms are the unique keys of the mappings they name,
// and KeyOf rejects what NewTransaction rejects.
func TestKeyForms(t *testing.T) {
	sync := uid("sync", ns("sync"))
	p1 := member(crypto.KindParticipant, "p1", ns("p1"))
	party := uid("alice", ns("owner"))
	owners := []crypto.Fingerprint{ns("o1"), ns("o2")}
	dns := topology.DecentralizedNamespace(owners)
	cases := []struct {
		name string
		m    *pb.TopologyMapping
		want topology.UniqueKey
	}{
		{"dnd", topology.NewDecentralizedNamespace(dns, 1, owners...), topology.DecentralizedNamespaceKey(dns)},
		{"otk", topology.NewOwnerToKeyMapping(p1, []crypto.SigningPublicKey{pub("p1")}), topology.OwnerToKeyMappingKey(p1.String())},
		{"ptp", topology.NewPartyToParticipant(party, 1, topology.Host(p1, confirmation)), topology.PartyToParticipantKey(party.String())},
		{"params", topology.NewSynchronizerParameters(sync, testParameters(1)), topology.SynchronizerParametersKey(sync.String())},
		{"permission", topology.NewParticipantPermission(sync, p1, submission), topology.ParticipantPermissionKey(sync.String(), p1.String())},
	}
	for _, c := range cases {
		got, err := topology.KeyOf(c.m)
		if err != nil || got != c.want || got != mustTx(t, replace, 1, c.m).Key() {
			t.Errorf("%s: KeyOf = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	if _, err := topology.KeyOf(&pb.TopologyMapping{}); !errors.Is(err, topology.ErrInvalidMapping) {
		t.Fatalf("KeyOf of an empty mapping: %v, want ErrInvalidMapping", err)
	}
}

// TestPreviewMatchesRestoredState: Preview (which works on a copy of the state) says
// what Apply on the restored dump does, for a random mix of the fuzz seeds, and leaves
// the state alone.
func TestPreviewMatchesRestoredState(t *testing.T) {
	base := fuzzState(t)
	seeds := fuzzSeeds(t)
	names := make([]string, 0, len(seeds))
	for n := range seeds {
		names = append(names, n)
	}
	slices.Sort(names)
	st, err := topology.Unmarshal(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		stx, err := topology.DecodeSignedTransaction(seeds[n])
		if err != nil {
			continue
		}
		before := st.Marshal()
		got, gotErr := st.Preview(stx)
		trial, err := topology.Unmarshal(before)
		if err != nil {
			t.Fatal(err)
		}
		want, wantErr := trial.Apply(stx, st.LastSequenced(), st.LastSequenced())
		if (gotErr == nil) != (wantErr == nil) || got.Kind != want.Kind || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
			t.Fatalf("%s: Preview = %+v, %v; Apply on the restored state = %+v, %v", n, got, gotErr, want, wantErr)
		}
		if !bytes.Equal(before, st.Marshal()) {
			t.Fatalf("%s: Preview changed the state", n)
		}
		// Apply for real, so later seeds see proposals and superseded entries.
		if _, err := st.Apply(stx, st.LastSequenced()+1, st.LastSequenced()+1); err == nil {
			if again, err := st.Preview(stx); err == nil && again.Kind == topology.OutcomeApplied {
				t.Fatalf("%s: Preview would apply an accepted transaction again", n)
			}
		}
	}
}

// TestHistoryMatchesDump: History lists what Dump stores, in the same order, without
// encoding.
func TestHistoryMatchesDump(t *testing.T) {
	st, err := topology.Unmarshal(fuzzState(t))
	if err != nil {
		t.Fatal(err)
	}
	d, h := st.Dump().Transactions, st.History()
	if len(h) != len(d) || len(h) != st.Len() || len(h) == 0 {
		t.Fatalf("history of %d, dump of %d, Len %d", len(h), len(d), st.Len())
	}
	for i, a := range h {
		b, err := d[i].Signed.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Transaction.Marshal(), b) || a.SequencedAt != d[i].SequencedAtMicros ||
			a.ValidFrom != d[i].ValidFromMicros || a.ValidUntil != d[i].ValidUntilMicros {
			t.Fatalf("entry %d: history %+v, dump %+v", i, a, d[i])
		}
	}
}
