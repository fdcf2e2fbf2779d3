package core_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

func (f *fixture) ackTx(tb testing.TB, k crypto.SigningPrivateKey, member string, counter, ts int64) []byte {
	tb.Helper()
	sa, err := seqapi.SignAcknowledgement(k, &pb.Acknowledgement{Member: member, Counter: counter, TimestampMicros: ts, SynchronizerId: f.g.SynchronizerID})
	if err != nil {
		tb.Fatal(err)
	}
	return core.EncodeAckTx(sa)
}

// TestAcknowledgements: valid acknowledgements are recorded (latest per member) and
// committed to by the app hash; forged, foreign, backwards, beyond-the-stream,
// second-in-a-block and wrong-synchronizer ones are refused with their reasons, by
// Execute and by Check alike.
func TestAcknowledgements(t *testing.T) {
	f := newFixture(t, core.DefaultParameters(), "PAR::alice", "PAR::bob", "MED::m@0")
	alice, bob := f.id("PAR::alice"), f.id("PAR::bob")
	x := f.newReplica(t)
	for i := range 3 {
		x.exec(t0+int64(i)*1000, f.sign(request(alice, "m"+string(rune('a'+i)), t0+1_000_000, envelope("x", to(bob)))))
	}
	evs := x.events(alice)
	if len(evs) != 3 {
		t.Fatalf("alice has %d events", len(evs))
	}
	ack1 := f.ackTx(t, f.keys[alice], alice, 1, evs[1].TimestampMicros)
	if err := x.check(ack1, t0); err != nil {
		t.Fatalf("check a valid acknowledgement: %v", err)
	}
	x.exec(t0 + 10_000)
	out := x.exec(t0+20_000, ack1, f.ackTx(t, f.keys[alice], alice, 2, evs[2].TimestampMicros))
	if out.TxResults[0].Code != seqapi.CodeOK {
		t.Fatalf("valid acknowledgement refused: %s", out.TxResults[0].Log)
	}
	if r := out.TxResults[1]; r.Code != seqapi.CodeDuplicate || !strings.Contains(r.Log, "one per member per block") {
		t.Fatalf("second acknowledgement in a block: %v %q", r.Code, r.Log)
	}
	st, err := core.ReadAck(x.r.Get, alice)
	if err != nil || st == nil || st.Counter != 1 || st.TimestampMicros != evs[1].TimestampMicros || st.Height != x.height {
		t.Fatalf("stored acknowledgement %v, %v", st, err)
	}
	// The same block without the acknowledgement hashes differently.
	y := f.newReplica(t)
	for i := range 3 {
		y.exec(t0+int64(i)*1000, f.sign(request(alice, "m"+string(rune('a'+i)), t0+1_000_000, envelope("x", to(bob)))))
	}
	y.exec(t0 + 10_000)
	if bytes.Equal(y.exec(t0+20_000).Meta.AppHash, out.Meta.AppHash) {
		t.Fatal("the app hash does not commit to the acknowledgement")
	}

	bad := []struct {
		name string
		tx   []byte
		code seqapi.Code
		want string
	}{
		{"signed with another key", f.ackTx(t, f.keys[bob], alice, 2, evs[2].TimestampMicros), seqapi.CodeUnknownKey, "is not a current signing key of " + alice},
		{"bad signature", forgeSig(t, f.ackTx(t, f.keys[alice], alice, 2, evs[2].TimestampMicros)), seqapi.CodeBadSignature, "bad signature"},
		{"backwards", f.ackTx(t, f.keys[alice], alice, 0, evs[0].TimestampMicros), seqapi.CodeInvalidBatch, "does not move forward"},
		{"same counter", f.ackTx(t, f.keys[alice], alice, 1, evs[1].TimestampMicros), seqapi.CodeInvalidBatch, "does not move forward"},
		{"beyond the stream", f.ackTx(t, f.keys[alice], alice, 3, evs[2].TimestampMicros+1), seqapi.CodeInvalidBatch, "beyond its stream (next counter 3)"},
		{"unknown member", f.ackTx(t, testKey("PAR::eve"), memberID("PAR::eve"), 0, 0), seqapi.CodeUnknownSender, "not a member"},
		{"other synchronizer", func() []byte {
			sa, _ := seqapi.SignAcknowledgement(f.keys[alice], &pb.Acknowledgement{Member: alice, Counter: 2, TimestampMicros: evs[2].TimestampMicros, SynchronizerId: "sync::other"})
			return core.EncodeAckTx(sa)
		}(), seqapi.CodeInvalidBatch, "for synchronizer \"sync::other\""},
		{"malformed", append(append([]byte{}, core.AckTxTag...), 0xff, 0xff), seqapi.CodeMalformed, "not a SignedAcknowledgement"},
	}
	for _, b := range bad {
		err := x.check(b.tx, t0)
		if rej, ok := err.(*core.SubmissionError); !ok || rej.Code != b.code || !strings.Contains(rej.Reason, b.want) {
			t.Errorf("%s: Check says %v, want %v %q", b.name, err, b.code, b.want)
		}
		out := x.exec(t0+30_000+int64(x.height)*1000, b.tx)
		if r := out.TxResults[0]; r.Code != b.code || !strings.Contains(r.Log, b.want) {
			t.Errorf("%s: Execute says %v %q, want %v %q", b.name, r.Code, r.Log, b.code, b.want)
		}
	}
	if st, _ := core.ReadAck(x.r.Get, alice); st.Counter != 1 {
		t.Fatalf("a refused acknowledgement changed the stored one: %v", st)
	}
	acks, err := core.ReadAcks(x.r)
	if err != nil || len(acks) != 1 || acks[0].Member != alice {
		t.Fatalf("ReadAcks: %v %v", acks, err)
	}
}

// forgeSig flips a bit of the signature of an acknowledgement transaction.
func forgeSig(t *testing.T, tx []byte) []byte {
	var sa pb.SignedAcknowledgement
	if err := sa.Unmarshal(tx[len(core.AckTxTag):]); err != nil {
		t.Fatal(err)
	}
	sa.Signature[0] ^= 1
	return core.EncodeAckTx(&sa)
}
