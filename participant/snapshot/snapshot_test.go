package snapshot_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant/commitments"
	"github.com/cometsync/cometsync/participant/snapshot"
	"github.com/cometsync/cometsync/protocol"
)

const (
	me, other, third = "PAR::me::1", "PAR::other::1", "PAR::third::1"
	sync             = "sync::1"
	second           = int64(1_000_000)
)

func contract(id byte, stakeholders ...ledger.Party) *ledger.Contract {
	return &ledger.Contract{ID: ledger.ContractID("00" + strings.Repeat(string(rune('a'+id%6)), 64)), Template: ledger.TemplateID{Package: "p", Name: "T"},
		Arguments: ledger.Record{"n": ledger.IntValue(int64(id))}, Signatories: ledger.NewPartySet(stakeholders...)}
}

// topo: Alice on me, Bob on other, Carol on third.
type topo struct{}

func (topo) Hosts(party string) []string {
	return map[string][]string{"Alice": {me}, "Bob": {other}, "Carol": {third}}[party]
}

func (topo) HostedParties(participant string) []string {
	return map[string][]string{me: {"Alice"}, other: {"Bob"}, third: {"Carol"}}[participant]
}

func key(t *testing.T, seed byte) crypto.SigningPrivateKey {
	k, err := crypto.SigningKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sequenced returns what the tracker of participant p over acs would have sent at the
// tick 5s (period (4s, 5s]).
func sequenced(p string, acs ledger.ContractMap) []snapshot.Sequenced {
	tr := commitments.New(p, acs, commitments.State{})
	cs, _ := tr.Tick(5*second+1, second, topo{}.Hosts)
	var out []snapshot.Sequenced
	for _, c := range cs {
		out = append(out, snapshot.Sequenced{From: p, To: c.Counter, Start: c.Start, End: c.End, Hash: c.Hash})
	}
	return out
}

func TestSnapshotRoundTripVerifyAndCommitments(t *testing.T) {
	ab, ab2, ac, a := contract(1, "Alice", "Bob"), contract(2, "Alice", "Bob"), contract(3, "Alice", "Carol"), contract(4, "Alice")
	acs := ledger.ContractMap{ab.ID: ab, ab2.ID: ab2, ac.ID: ac, a.ID: a}
	k := key(t, 1)
	s := snapshot.New(sync, me, 5*second, 42, 5*second+3, 7, acs, nil)
	s.Sign(k)
	got, err := snapshot.Decode(s.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Encode(), s.Encode()) || len(got.Contracts) != 4 || got.NextCounter != 42 {
		t.Fatalf("round trip: %+v", got)
	}
	v := protocol.StaticKeys{me: {k.Public()}}
	if err := got.Verify(v, sync); err != nil {
		t.Fatal(err)
	}
	if err := got.Verify(v, "sync::2"); !errors.Is(err, snapshot.ErrWrongSynchronizer) {
		t.Fatalf("other synchronizer: %v", err)
	}
	if err := got.Verify(protocol.StaticKeys{me: {key(t, 2).Public()}}, sync); !errors.Is(err, snapshot.ErrBadSignature) {
		t.Fatalf("other key: %v", err)
	}

	// Against the commitments the counter-participants sent (their trackers over their
	// view of the shared contracts), and the participant's own.
	seq := append(sequenced(other, ledger.ContractMap{ab.ID: ab, ab2.ID: ab2}), sequenced(third, ledger.ContractMap{ac.ID: ac})...)
	seq = append(seq, sequenced(me, acs)...)
	r, err := got.VerifyAgainstCommitments(topo{}, seq)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(r.Checked, ",") != other+","+third {
		t.Fatalf("checked %v", r.Checked)
	}

	// One contract removed and re-signed: other's commitment disagrees, naming the period.
	tampered := snapshot.New(sync, me, 5*second, 42, 5*second+3, 7, ledger.ContractMap{ab.ID: ab, ac.ID: ac, a.ID: a}, nil)
	tampered.Sign(k)
	_, err = tampered.VerifyAgainstCommitments(topo{}, seq)
	if !errors.Is(err, snapshot.ErrCommitmentMismatch) || !strings.Contains(err.Error(), other) || !strings.Contains(err.Error(), "(4000000, 5000000]") {
		t.Fatalf("removed contract: %v", err)
	}
	// A changed contract body (the signature then fails, and re-signed the commitment).
	changed := *ab2
	changed.Arguments = ledger.Record{"n": ledger.IntValue(99)}
	edited := snapshot.New(sync, me, 5*second, 42, 5*second+3, 7, ledger.ContractMap{ab.ID: ab, ab2.ID: &changed, ac.ID: ac, a.ID: a}, nil)
	edited.SigningKey, edited.Signature = s.SigningKey, s.Signature
	if err := edited.Verify(v, sync); !errors.Is(err, snapshot.ErrBadSignature) {
		t.Fatalf("changed contract, old signature: %v", err)
	}
	if _, err := edited.VerifyAgainstCommitments(topo{}, seq); !errors.Is(err, snapshot.ErrCommitmentMismatch) {
		t.Fatalf("changed contract: %v", err)
	}

	// Filtered to Bob's contracts: compared with other only (Bob is all other hosts).
	f := snapshot.New(sync, me, 5*second, 42, 5*second+3, 7, acs, []string{"Bob"})
	if len(f.Contracts) != 2 {
		t.Fatalf("filtered: %d contracts", len(f.Contracts))
	}
	r, err = f.VerifyAgainstCommitments(topo{}, seq)
	if err != nil || strings.Join(r.Checked, ",") != other {
		t.Fatalf("filtered: %v %v", r, err)
	}
	// A commitment whose period does not hold the tick is not compared.
	r, err = tampered.VerifyAgainstCommitments(topo{}, []snapshot.Sequenced{{From: other, To: me, Start: 5 * second, End: 6 * second, Hash: []byte("x")}})
	if err != nil || r.Skipped != 1 || len(r.Checked) != 0 {
		t.Fatalf("other period: %v %v", r, err)
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	ab, ac := contract(1, "Alice", "Bob"), contract(3, "Alice", "Carol")
	s := snapshot.New(sync, me, 5*second, 42, 5*second+3, 7, ledger.ContractMap{ab.ID: ab, ac.ID: ac}, nil)
	s.Sign(key(t, 1))
	good := s.Encode()
	for name, b := range map[string][]byte{
		"empty":     nil,
		"header":    []byte("NOTASNAP\x01"),
		"version":   append(append([]byte("CSACSNAP"), 9), good[9:]...),
		"truncated": good[:len(good)-3],
		"trailing":  append(append([]byte(nil), good...), 0),
	} {
		if _, err := snapshot.Decode(b); !errors.Is(err, snapshot.ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Contracts out of order.
	s.Contracts[0], s.Contracts[1] = s.Contracts[1], s.Contracts[0]
	if _, err := snapshot.Decode(s.Encode()); !errors.Is(err, snapshot.ErrMalformed) || !strings.Contains(err.Error(), "order") {
		t.Errorf("out of order: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	ab, ac := contract(1, "Alice", "Bob"), contract(3, "Alice", "Carol")
	k, _ := crypto.SigningKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	s := snapshot.New(sync, me, 5*second, 42, 5*second+3, 7, ledger.ContractMap{ab.ID: ab, ac.ID: ac}, []string{"Alice"})
	s.Sign(k)
	f.Add(s.Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := snapshot.Decode(b)
		if err != nil {
			if !errors.Is(err, snapshot.ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			return
		}
		// What decodes re-encodes to the same bytes.
		if !bytes.Equal(s.Encode(), b) {
			t.Fatalf("re-encoding differs")
		}
	})
}

// TestWriteSeedCorpus keeps testdata/fuzz/FuzzDecode in step with the format (run with
// SNAPSHOT_WRITE_CORPUS=1 to rewrite it).
func TestWriteSeedCorpus(t *testing.T) {
	if os.Getenv("SNAPSHOT_WRITE_CORPUS") == "" {
		t.Skip("set SNAPSHOT_WRITE_CORPUS=1 to rewrite the seed corpus")
	}
	ab := contract(1, "Alice", "Bob")
	s := snapshot.New(sync, me, 5*second, 42, 5*second+3, 7, ledger.ContractMap{ab.ID: ab}, nil)
	s.Sign(key(t, 1))
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"valid": s.Encode(), "truncated": s.Encode()[:40], "header": []byte("CSACSNAP\x01")} {
		body := "go test fuzz v1\n[]byte(" + quote(b) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func quote(b []byte) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, c := range b {
		sb.WriteString("\\x")
		sb.WriteString(string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15]))
	}
	sb.WriteByte('"')
	return sb.String()
}
