package core

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/cometbft/cometbft/crypto/merkle"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/seqproof"
)

// TestCounterSetMatchesReference applies random blocks of counter changes (new members at
// random positions, updates) to a counter set and checks after each that its leaves and
// root equal a set computed from scratch with merkle.HashFromByteSlices, and that the
// sets before stay intact.
func TestCounterSetMatchesReference(t *testing.T) {
	seed := rand.Int63()
	if s := os.Getenv("COUNTERSET_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewSource(seed))
	t.Logf("seed %d; reproduce: COUNTERSET_SEED=%d go test ./abci/core -run TestCounterSetMatchesReference", seed, seed)
	h := crypto.NewHasher(crypto.PurposeStreamProof)
	model := map[string]int64{}
	cs := &counterSet{hashes: updateLevels(nil, nil, nil, 0)}
	var history []*counterSet
	var roots [][]byte
	for block := range 300 {
		next := map[string]int64{}
		for range rng.Intn(6) {
			var m string
			if len(model) > 0 && rng.Intn(2) == 0 {
				m = fmt.Sprintf("PAR::m%04d", rng.Intn(block*3+1))
			} else {
				m = fmt.Sprintf("PAR::m%04d", rng.Intn(2000))
			}
			next[m] = model[m] + 1 + int64(rng.Intn(3))
			model[m] = next[m]
		}
		members := make([]string, 0, len(next))
		for m := range next {
			members = append(members, m)
		}
		sort.Strings(members)
		cs = cs.with(h, members, next)
		all := make([]string, 0, len(model))
		for m := range model {
			all = append(all, m)
		}
		sort.Strings(all)
		var leaves [][]byte
		for _, m := range all {
			leaves = append(leaves, seqproof.CounterLeaf(m, model[m]))
		}
		if !slices.Equal(cs.members, all) {
			t.Fatalf("seed %d block %d: members differ", seed, block)
		}
		if want := seqproof.CountersRoot(merkle.HashFromByteSlices(leaves), len(leaves)); !bytes.Equal(cs.root, want) {
			t.Fatalf("seed %d block %d (%d members): root %x, want %x", seed, block, len(all), cs.root, want)
		}
		history, roots = append(history, cs), append(roots, cs.root)
	}
	for i, c := range history {
		if !bytes.Equal(seqproof.CountersRootOf(c.leaves), roots[i]) || !bytes.Equal(seqproof.CountersRoot(c.hashes.root(len(c.leaves)), len(c.leaves)), roots[i]) {
			t.Fatalf("seed %d: the set of block %d changed after later blocks", seed, i)
		}
	}
}

func TestLevelsRootMatchesMerkle(t *testing.T) {
	for n := range 70 {
		leaves := make([][]byte, n)
		for i := range leaves {
			leaves[i] = []byte{byte(i), byte(n)}
		}
		if got, want := updateLevels(nil, leaves, nil, 0).root(n), merkle.HashFromByteSlices(leaves); !bytes.Equal(got, want) {
			t.Fatalf("%d leaves: root %x, want %x", n, got, want)
		}
	}
}
