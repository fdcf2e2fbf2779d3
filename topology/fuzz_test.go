package topology_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

var sentinels = []error{
	topology.ErrMalformed, topology.ErrInvalidMapping, topology.ErrInvalidSignature,
	topology.ErrUnauthorized, topology.ErrSerialMismatch, topology.ErrNoSuchMapping, topology.ErrInvalidTime,
}

func checkTyped(t *testing.T, err error) {
	t.Helper()
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("untyped error: %v", err)
}

// fuzzSeeds are signed transactions for the fuzz state (see fuzzState).
func fuzzSeeds(t testing.TB) map[string][]byte {
	sync := uid("global", ownersNamespace)
	p1 := member(crypto.KindParticipant, "p1", ns("o1"))
	sign := func(op pb.Operation, serial uint64, m *pb.TopologyMapping, proposal bool, signers ...string) []byte {
		var ks []crypto.SigningPrivateKey
		for _, s := range signers {
			ks = append(ks, key(s))
		}
		return topology.Sign(mustTx(t, op, serial, m), proposal, ks...).Marshal()
	}
	bad := topology.Sign(mustTx(t, replace, 1, topology.NewRootCertificate(pub("x"))), false, key("x"))
	bad.Signatures[0].Sig[3] ^= 0x40
	return map[string][]byte{
		"root-cert":       sign(replace, 1, topology.NewRootCertificate(pub("x")), false, "x"),
		"params-proposal": sign(replace, 1, topology.NewSynchronizerParameters(sync, testParameters(1)), true, "o1"),
		"params-two":      sign(replace, 1, topology.NewSynchronizerParameters(sync, testParameters(2)), false, "o1", "o2"),
		"otk":             sign(replace, 1, topology.NewOwnerToKeyMapping(p1, []crypto.SigningPublicKey{pub("k")}), false, "o1", "k"),
		"ptp": sign(replace, 1, topology.NewPartyToParticipant(uid("party", ownersNamespace), 1, topology.Host(p1, confirmation)),
			true, "o1", "o2"),
		"dnd-update":    sign(replace, 2, topology.NewDecentralizedNamespace(ownersNamespace, 1, ns("o1"), ns("o2"), ns("o3")), false, "o1", "o3"),
		"remove-absent": sign(remove, 1, topology.NewVettedPackages(p1), false, "o1"),
		"bad-signature": bad.Marshal(),
		"junk":          []byte("\x0a\x05hello\x12\x00"),
	}
}

// fuzzState returns the serialized state with the o1..o3 decentralized namespace
// governing "global".
func fuzzState(t testing.TB) []byte {
	f := newFixture(t, uid("global", ownersNamespace))
	governed(t, f)
	return f.st.Marshal()
}

func FuzzDecodeSignedTransaction(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		stx, err := topology.DecodeSignedTransaction(data)
		if err != nil {
			checkTyped(t, err)
			return
		}
		again, err := topology.DecodeSignedTransaction(stx.Marshal())
		if err != nil || !bytes.Equal(again.Marshal(), stx.Marshal()) || !bytes.Equal(again.Tx.Hash(), stx.Tx.Hash()) {
			t.Fatalf("canonical form is not stable: %v", err)
		}
	})
}

func FuzzApply(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		f.Add(b)
	}
	base := fuzzState(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := topology.Unmarshal(base)
		if err != nil {
			t.Fatal(err)
		}
		before := st.Marshal()
		out, err := st.ApplyBytes(data, 5000, 5000)
		if err != nil {
			checkTyped(t, err)
			if !bytes.Equal(before, st.Marshal()) {
				t.Fatal("a rejected transaction changed the state")
			}
			return
		}
		if out.Transaction == nil || out.Kind < topology.OutcomeApplied || out.Kind > topology.OutcomeMerged {
			t.Fatalf("outcome %+v", out)
		}
		restored, err := topology.Unmarshal(st.Marshal())
		if err != nil || !bytes.Equal(restored.Hash(), st.Hash()) {
			t.Fatalf("restore after apply: %v", err)
		}
		_ = st.SnapshotAt(5001).Members()
	})
}

func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("COMETSYNC_WRITE_CORPUS") == "" {
		t.Skip("set COMETSYNC_WRITE_CORPUS=1 to rewrite testdata/fuzz")
	}
	for _, target := range []string{"FuzzDecodeSignedTransaction", "FuzzApply"} {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range fuzzSeeds(t) {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
