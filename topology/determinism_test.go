package topology_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/topology"
)

// independentBatch returns root certificates (sequenced first) and, for each of their
// namespaces, transactions that do not depend on each other.
func independentBatch(t *testing.T, n int) (roots, batch []*topology.SignedTransaction) {
	for i := range n {
		name := fmt.Sprintf("ns%d", i)
		roots = append(roots, topology.Sign(mustTx(t, replace, 1, topology.NewRootCertificate(pub(name))), false, key(name)))
		p := member(crypto.KindParticipant, "p", ns(name))
		batch = append(batch,
			topology.Sign(mustTx(t, replace, 1, topology.NewVettedPackages(p, "pkg")), false, key(name)),
			topology.Sign(mustTx(t, replace, 1, topology.NewOwnerToKeyMapping(p, []crypto.SigningPublicKey{pub(name + "-k")})), false, key(name), key(name+"-k")),
			topology.Sign(mustTx(t, replace, 1, topology.NewNamespaceDelegation(ns(name), pub(name+"-d"), topology.RestrictAll())), false, key(name)),
		)
	}
	return roots, batch
}

func feed(t *testing.T, roots, batch []*topology.SignedTransaction) *topology.State {
	st := topology.NewState(testSync)
	for _, stx := range roots {
		if _, err := st.Apply(stx, 10, 20); err != nil {
			t.Fatal(err)
		}
	}
	for _, stx := range batch {
		if _, err := st.Apply(stx, 30, 40); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func TestSameTransactionsSameState(t *testing.T) {
	roots, batch := independentBatch(t, 8)
	a, b := feed(t, roots, batch), feed(t, roots, batch)
	if !bytes.Equal(a.Marshal(), b.Marshal()) || !bytes.Equal(a.Hash(), b.Hash()) {
		t.Fatal("two states fed the same transactions differ")
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for range 10 {
		perm := append([]*topology.SignedTransaction(nil), batch...)
		rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		c := feed(t, roots, perm)
		if !bytes.Equal(a.Marshal(), c.Marshal()) || !bytes.Equal(a.Hash(), c.Hash()) {
			t.Fatal("the order of independent transactions changes the state")
		}
		if !bytes.Equal(a.SnapshotAt(41).Root(), c.SnapshotAt(41).Root()) {
			t.Fatal("snapshot roots differ")
		}
	}
	if bytes.Equal(a.SnapshotAt(40).Root(), a.SnapshotAt(41).Root()) {
		t.Fatal("the batch is not visible after its effective time")
	}
}

func TestProposalsSurviveRestore(t *testing.T) {
	f := newFixture(t, uid("global", ownersNamespace))
	governed(t, f)
	params := topology.NewSynchronizerParameters(uid("global", ownersNamespace), testParameters(1))
	if out, err := f.submit(replace, 1, params, true, "o1"); err != nil || out.Kind != topology.OutcomeProposed {
		t.Fatalf("%v %v", out.Kind, err)
	}
	restored, err := topology.Unmarshal(f.st.Marshal())
	if err != nil || !bytes.Equal(restored.Hash(), f.st.Hash()) {
		t.Fatalf("restore: %v", err)
	}
	f.st = restored
	if out, err := f.submit(replace, 1, params, true, "o2"); err != nil || out.Kind != topology.OutcomeApplied || !out.FromProposal {
		t.Fatalf("%v %v", out.Kind, err)
	}
	if _, err := topology.Unmarshal([]byte{0xff}); !errorsIs(err, topology.ErrCorruptState) {
		t.Fatalf("garbage: %v", err)
	}
}
