package txfile_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
	"github.com/cometsync/cometsync/topology/txfile"
)

func key(name string) crypto.SigningPrivateKey {
	seed := sha256.Sum256([]byte("txfile-test/" + name))
	k, err := crypto.SigningKeyFromSeed(seed[:])
	if err != nil {
		panic(err)
	}
	return k
}

// ptp is a PartyToParticipant of alice (in owner's namespace) on p1, signed by signers.
func ptp(t testing.TB, serial uint64, signers ...string) *topology.SignedTransaction {
	t.Helper()
	party, err := crypto.NewUID("alice", key("owner").Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	p1, err := crypto.NewMember(crypto.KindParticipant, "p1", key("p1").Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	tx, err := topology.NewTransaction(pb.Operation_OPERATION_REPLACE, serial,
		topology.NewPartyToParticipant(party, 1, topology.Host(p1, pb.ParticipantPermission_PARTICIPANT_PERMISSION_CONFIRMATION)))
	if err != nil {
		t.Fatal(err)
	}
	var ks []crypto.SigningPrivateKey
	for _, s := range signers {
		ks = append(ks, key(s))
	}
	return topology.Sign(tx, true, ks...)
}

func root(t testing.TB, name string) *topology.SignedTransaction {
	t.Helper()
	tx, err := topology.NewTransaction(pb.Operation_OPERATION_REPLACE, 1, topology.NewRootCertificate(key(name).Public()))
	if err != nil {
		t.Fatal(err)
	}
	return topology.Sign(tx, false, key(name))
}

// same reports whether a and b hold the same transactions with the same signatures.
func same(a, b []*topology.SignedTransaction) bool {
	return slices.EqualFunc(a, b, func(x, y *topology.SignedTransaction) bool { return bytes.Equal(x.Marshal(), y.Marshal()) })
}

func TestRoundTrip(t *testing.T) {
	stxs := []*topology.SignedTransaction{root(t, "owner"), ptp(t, 1), ptp(t, 2, "owner", "p1")}
	b, err := txfile.Encode(stxs, func(tx *topology.Transaction) string { return "summary of " + tx.HashHex() })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"format": "cometsync.topology.transactions"`) || !strings.Contains(string(b), "summary of "+stxs[1].Tx.HashHex()) {
		t.Fatalf("encoded file:\n%s", b)
	}
	got, err := txfile.Decode(b)
	if err != nil || !same(got, stxs) {
		t.Fatalf("decode: %v, %v", got, err)
	}
	if len(got[1].Signatures) != 0 || !got[1].Proposal {
		t.Fatalf("the unsigned proposal came back as %+v", got[1])
	}
	raw, err := txfile.Decode(stxs[2].Marshal())
	if err != nil || !same(raw, stxs[2:]) {
		t.Fatalf("raw protobuf: %v, %v", raw, err)
	}
	var buf bytes.Buffer
	if err := txfile.Write(&buf, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := txfile.Read(&buf); err != nil || len(got) != 0 {
		t.Fatalf("empty file: %v, %v", got, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(root(t, "owner").Marshal())
	bad := root(t, "owner").Proto()
	bad.Signatures[0].Signature = bad.Signatures[0].Signature[:10]
	badSig, err := bad.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, in string
		want     error
		msg      string
	}{
		{"empty", "", topology.ErrInvalidMapping, ""},
		{"junk protobuf", "\x0a\x05hello", topology.ErrMalformed, ""},
		{"truncated json", `{"format": `, topology.ErrMalformed, "unexpected end of JSON input"},
		{"other format", `{"format": "x", "version": 1}`, txfile.ErrUnsupportedFormat, `format "x" version 1: want "cometsync.topology.transactions" version 1`},
		{"other version", `{"format": "cometsync.topology.transactions", "version": 2}`, txfile.ErrUnsupportedFormat, "version 2"},
		{"bad base64", `{"format": "cometsync.topology.transactions", "version": 1, "transactions": [{"signed": "` + good + `"}, {"signed": "!!"}]}`, topology.ErrMalformed, "transaction 1: illegal base64"},
		{"bad signature", `{"format": "cometsync.topology.transactions", "version": 1, "transactions": [{"signed": "` + base64.StdEncoding.EncodeToString(badSig) + `"}]}`, topology.ErrInvalidSignature, "transaction 0: "},
		{"wrong type", `{"format": "cometsync.topology.transactions", "version": 1, "transactions": 3}`, topology.ErrMalformed, "cannot unmarshal"},
	}
	for _, c := range cases {
		_, err := txfile.Decode([]byte(c.in))
		if !errors.Is(err, c.want) || !strings.Contains(errString(err), c.msg) {
			t.Errorf("%s: %v, want %v containing %q", c.name, err, c.want, c.msg)
		}
	}
	var ee *txfile.EntryError
	if _, err := txfile.Decode([]byte(cases[5].in)); !errors.As(err, &ee) || ee.Index != 1 {
		t.Errorf("bad base64: %v, want an EntryError for transaction 1", err)
	}
	if _, err := txfile.Decode(make([]byte, txfile.MaxFileSize+1)); !errors.Is(err, topology.ErrMalformed) {
		t.Errorf("oversized: %v", err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestReadFilesMerges: signatures collected on separate copies come together, in the
// order of first appearance; errors name the file.
func TestReadFilesMerges(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	if err := txfile.WriteFile(a, []*topology.SignedTransaction{ptp(t, 1, "owner"), root(t, "p1")}, nil); err != nil {
		t.Fatal(err)
	}
	if err := txfile.WriteFile(b, []*topology.SignedTransaction{root(t, "owner"), ptp(t, 1, "p1")}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := txfile.ReadFiles([]string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	want := []*topology.SignedTransaction{ptp(t, 1, "owner", "p1"), root(t, "p1"), root(t, "owner")}
	if !same(got, want) {
		t.Fatalf("merged %d transactions, want ptp signed by owner and p1, then the roots of p1 and owner", len(got))
	}
	if info, err := os.Stat(a); err != nil || info.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, %v", info.Mode(), err)
	}

	empty := filepath.Join(dir, "empty.json")
	if err := txfile.WriteFile(empty, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := txfile.ReadFiles([]string{empty}); !errors.Is(err, txfile.ErrEmpty) {
		t.Fatalf("no transactions: %v", err)
	}
	missing := filepath.Join(dir, "missing.json")
	if _, err := txfile.ReadFiles([]string{a, missing}); !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), missing+": ") {
		t.Fatalf("missing file: %v", err)
	}
}
