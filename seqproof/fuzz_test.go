package seqproof_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqproof"
)

// fuzzSeeds are honest (event, proof, head) triples of buildChain, marshalled.
func fuzzSeeds(t testing.TB) [][3][]byte {
	c := buildChain(t)
	var seeds [][3][]byte
	for i, ev := range c.events {
		seeds = append(seeds, [3][]byte{mustMarshal(ev), mustMarshal(c.proof(i)), mustMarshal(c.head(c.owners[i]))})
	}
	seeds = append(seeds, [3][]byte{nil, nil, mustMarshal(c.head("PAR::carol"))}) // an absence proof
	return seeds
}

func mustMarshal(m interface{ Marshal() ([]byte, error) }) []byte {
	b, err := m.Marshal()
	if err != nil {
		panic(err)
	}
	return b
}

// FuzzVerify feeds arbitrary events, event proofs and stream heads (as a node could serve
// them) to the verify functions against buildChain's app hash. They must not panic, and
// whatever they accept must be what the block committed: an event whose leaf is the
// committed leaf at the proof's index, a head that is the member's true counter.
func FuzzVerify(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s[0], s[1], s[2])
	}
	c := buildChain(f)
	f.Fuzz(func(t *testing.T, evBytes, proofBytes, headBytes []byte) {
		var ev pb.SequencedEvent
		var p pb.EventProof
		var head pb.GetStreamHeadResponse
		if ev.Unmarshal(evBytes) != nil || p.Unmarshal(proofBytes) != nil || head.Unmarshal(headBytes) != nil {
			return
		}
		for _, member := range append([]string{"PAR::carol"}, c.order...) {
			if seqproof.VerifyEvent(member, &ev, &p, c.appHash) == nil {
				if int(p.LeafIndex) >= c.tree.Len() || !bytes.Equal(seqproof.EventLeaf(member, &ev), c.tree.Leaf(int(p.LeafIndex))) {
					t.Fatalf("accepted an event of %s that is not leaf %d", member, p.LeafIndex)
				}
			}
			if seqproof.VerifyStreamHead(member, &head, c.appHash) == nil && (head.NextCounter != c.next[member] || head.Absent != (c.next[member] == 0)) {
				t.Fatalf("accepted head %d of %s, true head %d", head.NextCounter, member, c.next[member])
			}
			var topo pb.DownloadTopologyStateForInitResponse
			if topo.Unmarshal(headBytes) == nil && seqproof.VerifyTopology(&topo, evBytes, c.appHash) == nil && !bytes.Equal(evBytes, []byte("state")) {
				t.Fatalf("accepted topology state %x", evBytes)
			}
		}
	})
}

// TestWriteFuzzSeeds rewrites testdata/fuzz/FuzzVerify from fuzzSeeds when
// SEQPROOF_WRITE_SEEDS is set.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("SEQPROOF_WRITE_SEEDS") == "" {
		t.Skip("set SEQPROOF_WRITE_SEEDS=1 to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzVerify")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range fuzzSeeds(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n[]byte(%q)\n[]byte(%q)\n", s[0], s[1], s[2])
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("honest-%d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
