package topology_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/internal/testseed"
	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

const randomSteps = 400

// TestRandomizedAgainstReference runs a fixed set of seeds, or COMETSYNC_SEED alone
// (testseed: each seed is logged with the command that reruns it).
func TestRandomizedAgainstReference(t *testing.T) {
	fixed := make([]uint64, 25)
	for i := range fixed {
		fixed[i] = 1 + uint64(i)*7919
	}
	for _, seed := range testseed.Seeds(t, fixed...) {
		runRandomized(t, seed)
	}
}

type randomGen struct {
	rng *rand.Rand
	ref *refModel
}

func runRandomized(t *testing.T, seed uint64) {
	g := &randomGen{rng: rand.New(rand.NewPCG(seed, 0)), ref: newRefModel()}
	st := topology.NewState(testSync)
	var accepted []*topology.SignedTransaction
	stats := map[string]int{}
	defer func() { t.Logf("seed %d: %v", seed, stats) }()
	for step := range randomSteps {
		stx := g.next(t)
		want := g.ref.apply(stx)
		out, err := st.Apply(stx, int64(step), int64(step))
		if (want == nil) != (err == nil) || (want != nil && !errors.Is(err, want)) {
			t.Fatalf("seed %d step %d %v: got %v, reference %v (rerun with COMETSYNC_SEED=%d)", seed, step, stx.Tx, err, want, seed)
		}
		stats[fmt.Sprint(want)]++
		if err == nil {
			accepted = append(accepted, out.Transaction)
		}
		if got, ref := activeHashes(st.Head()), g.ref.active(); !maps.Equal(got, ref) {
			t.Fatalf("seed %d step %d: state %v, reference %v (rerun with COMETSYNC_SEED=%d)", seed, step, got, ref, seed)
		}
	}
	checkReplayAndRestore(t, seed, st, accepted)
}

// checkReplayAndRestore: replaying the accepted transactions and restoring the
// serialized state both give byte-identical states.
func checkReplayAndRestore(t *testing.T, seed uint64, st *topology.State, accepted []*topology.SignedTransaction) {
	replay := topology.NewState(testSync)
	for _, stx := range accepted {
		if _, err := replay.ApplyBytes(stx.Marshal(), 0, 0); err != nil {
			t.Fatalf("seed %d: replay: %v", seed, err)
		}
	}
	restored, err := topology.Unmarshal(st.Marshal())
	if err != nil {
		t.Fatalf("seed %d: restore: %v", seed, err)
	}
	if !bytes.Equal(restored.Marshal(), st.Marshal()) || !bytes.Equal(restored.Hash(), st.Hash()) {
		t.Fatalf("seed %d: restored state differs (rerun with COMETSYNC_SEED=%d)", seed, seed)
	}
	if !bytes.Equal(activeRoot(replay), activeRoot(st)) {
		t.Fatalf("seed %d: replayed head differs (rerun with COMETSYNC_SEED=%d)", seed, seed)
	}
}

func activeRoot(st *topology.State) []byte { return st.Head().Root() }

func activeHashes(s *topology.Snapshot) map[string]string {
	out := map[string]string{}
	for _, stx := range s.Transactions() {
		out[stx.Tx.Key().String()] = hex.EncodeToString(stx.Tx.Hash())
	}
	return out
}

var (
	randomRoots    = []string{"r0", "r1", "r2"}
	randomDelegate = []string{"d0", "d1", "d2", "d3"}
	randomOwnerKey = []string{"o0", "o1", "o2"}
)

// next draws a transaction: mostly with the right serial, signed by a few keys.
func (g *randomGen) next(t *testing.T) *topology.SignedTransaction {
	m := g.mapping()
	k := mustTx(t, replace, 1, m).Key().String()
	cur := g.ref.latest[k]
	op := replace
	if g.rng.IntN(5) == 0 {
		op = remove
	}
	serial := cur.serial + 1
	if g.rng.IntN(10) == 0 {
		serial = uint64(max(1, int(serial)+[]int{-1, 1}[g.rng.IntN(2)]))
	}
	return topology.Sign(mustTx(t, op, serial, m), false, g.signers(m)...)
}

func (g *randomGen) mapping() *pb.TopologyMapping {
	root := randomRoots[g.rng.IntN(len(randomRoots))]
	namespace := ns(root)
	j := g.rng.IntN(len(randomOwnerKey))
	p := member(crypto.KindParticipant, fmt.Sprintf("p%d", j), namespace)
	switch g.rng.IntN(6) {
	case 0:
		return topology.NewRootCertificate(pub(root))
	case 1, 2:
		r := []*pb.DelegationRestriction{topology.RestrictAll(), topology.RestrictAllButNamespaceDelegations()}[g.rng.IntN(2)]
		return topology.NewNamespaceDelegation(namespace, pub(randomDelegate[g.rng.IntN(len(randomDelegate))]), r)
	case 3, 4:
		return topology.NewOwnerToKeyMapping(p, []crypto.SigningPublicKey{pub(randomOwnerKey[j])})
	}
	return topology.NewVettedPackages(p, fmt.Sprintf("pkg-%d", g.rng.IntN(3)))
}

func (g *randomGen) signers(m *pb.TopologyMapping) []crypto.SigningPrivateKey {
	all := append(append(append([]string{}, randomRoots...), randomDelegate...), randomOwnerKey...)
	var main string
	switch x := g.rng.IntN(20); {
	case x < 10:
		main = rootOf(m)
	case x < 17:
		main = randomDelegate[g.rng.IntN(len(randomDelegate))]
	default:
		main = all[g.rng.IntN(len(all))]
	}
	out := []crypto.SigningPrivateKey{key(main)}
	if g.rng.IntN(10) < 3 {
		out = append(out, key(all[g.rng.IntN(len(all))]))
	}
	if otk := m.GetOwnerToKeyMapping(); otk != nil && g.rng.IntN(5) > 0 {
		for _, name := range randomOwnerKey {
			if bytes.Equal(pub(name).Key, otk.SigningKeys[0]) {
				out = append(out, key(name))
			}
		}
	}
	return out
}

// rootOf names the root key of the namespace m is about.
func rootOf(m *pb.TopologyMapping) string {
	var namespace string
	switch {
	case m.GetNamespaceDelegation() != nil:
		namespace = m.GetNamespaceDelegation().Namespace
	case m.GetOwnerToKeyMapping() != nil:
		namespace = m.GetOwnerToKeyMapping().Member
	default:
		namespace = m.GetVettedPackages().Participant
	}
	for _, r := range randomRoots {
		if strings.HasSuffix(namespace, string(ns(r))) {
			return r
		}
	}
	return randomRoots[0]
}
