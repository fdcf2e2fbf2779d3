package core_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/abci/core"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

var stdMembers = []string{"PAR::alice", "PAR::bob", "PAR::carol", "MED::m0a@0", "MED::m0b@0", "MED::m1@1", "SEQ::s0", "SEQ::s1"}

func stdFixture(t testing.TB) *fixture { return newFixture(t, smallParams(), stdMembers...) }

// want describes the delivery one member expects from one submission.
type want struct {
	member   string
	contents []string // envelope contents, in batch order
	msgID    string   // set on the sender's receipt
}

func TestExecuteDeliveries(t *testing.T) {
	f := stdFixture(t)
	alice, bob, carol := f.id("PAR::alice"), f.id("PAR::bob"), f.id("PAR::carol")
	m0a, m0b, m1 := f.id("MED::m0a@0"), f.id("MED::m0b@0"), f.id("MED::m1@1")
	s0, s1 := f.id("SEQ::s0"), f.id("SEQ::s1")
	tests := []struct {
		name string
		envs []*pb.Envelope
		want []want // every member not listed must receive nothing
	}{
		{
			name: "one member",
			envs: []*pb.Envelope{envelope("x", to(bob))},
			want: []want{{member: bob, contents: []string{"x"}}, {member: alice, msgID: "m"}},
		},
		{
			name: "sender among the recipients",
			envs: []*pb.Envelope{envelope("x", to(bob), to(alice))},
			want: []want{{member: bob, contents: []string{"x"}}, {member: alice, contents: []string{"x"}, msgID: "m"}},
		},
		{
			name: "all members",
			envs: []*pb.Envelope{envelope("x", allMembers)},
			want: []want{
				{member: alice, contents: []string{"x"}, msgID: "m"}, {member: bob, contents: []string{"x"}},
				{member: carol, contents: []string{"x"}}, {member: m0a, contents: []string{"x"}},
				{member: m0b, contents: []string{"x"}}, {member: m1, contents: []string{"x"}},
				{member: s0, contents: []string{"x"}}, {member: s1, contents: []string{"x"}},
			},
		},
		{
			name: "mediator group 0",
			envs: []*pb.Envelope{envelope("x", mediators(0))},
			want: []want{{member: m0a, contents: []string{"x"}}, {member: m0b, contents: []string{"x"}}, {member: alice, msgID: "m"}},
		},
		{
			name: "mediator group 1",
			envs: []*pb.Envelope{envelope("x", mediators(1))},
			want: []want{{member: m1, contents: []string{"x"}}, {member: alice, msgID: "m"}},
		},
		{
			name: "sequencers",
			envs: []*pb.Envelope{envelope("x", sequencers)},
			want: []want{{member: s0, contents: []string{"x"}}, {member: s1, contents: []string{"x"}}, {member: alice, msgID: "m"}},
		},
		{
			name: "member named twice and through a group gets the envelope once",
			envs: []*pb.Envelope{envelope("x", to(m0a), mediators(0), to(m0a))},
			want: []want{{member: m0a, contents: []string{"x"}}, {member: m0b, contents: []string{"x"}}, {member: alice, msgID: "m"}},
		},
		{
			name: "envelopes split by recipient",
			envs: []*pb.Envelope{
				envelope("e0", to(bob)),
				envelope("e1", to(carol)),
				envelope("e2", to(carol), to(bob), to(alice)),
			},
			want: []want{
				{member: bob, contents: []string{"e0", "e2"}},
				{member: carol, contents: []string{"e1", "e2"}},
				{member: alice, contents: []string{"e2"}, msgID: "m"},
			},
		},
		{
			name: "only the sender",
			envs: []*pb.Envelope{envelope("note", to(alice))},
			want: []want{{member: alice, contents: []string{"note"}, msgID: "m"}},
		},
		{
			name: "no envelopes is a receipt only",
			envs: nil,
			want: []want{{member: alice, msgID: "m"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := f.newReplica(t)
			req := request(alice, "m", t0+100, tc.envs...)
			tx := f.sign(req)
			if err := x.check(tx, t0); err != nil {
				t.Fatalf("Check: %v", err)
			}
			out := x.exec(t0, tx)
			if r := out.TxResults[0]; r.Code != seqapi.CodeOK || r.Sender != alice {
				t.Fatalf("tx result %+v, want OK from alice", r)
			}
			if len(out.Deliveries) != len(tc.want) {
				t.Fatalf("%d deliveries %v, want %d", len(out.Deliveries), out.Deliveries, len(tc.want))
			}
			for _, mem := range f.members {
				evs := x.events(mem)
				i := slices.IndexFunc(tc.want, func(w want) bool { return w.member == mem })
				if i < 0 {
					if len(evs) != 0 {
						t.Errorf("%s received %d events, want none", short(mem), len(evs))
					}
					continue
				}
				w := tc.want[i]
				if len(evs) != 1 {
					t.Fatalf("%s received %d events, want 1", short(mem), len(evs))
				}
				ev := evs[0]
				if ev.Kind != pb.EventKind_EVENT_KIND_DELIVER || ev.Counter != 0 || ev.TimestampMicros != t0 || ev.Height != 1 {
					t.Errorf("%s event: kind %v counter %d ts %d height %d", short(mem), ev.Kind, ev.Counter, ev.TimestampMicros, ev.Height)
				}
				if ev.MessageId != w.msgID {
					t.Errorf("%s event message id %q, want %q", short(mem), ev.MessageId, w.msgID)
				}
				if got := contents(ev); !slices.Equal(got, w.contents) {
					t.Errorf("%s received envelopes %q, want %q", short(mem), got, w.contents)
				}
				// Each envelope carries its full recipient list, as sent.
				for _, e := range ev.GetBatch().GetEnvelopes() {
					j := slices.IndexFunc(tc.envs, func(s *pb.Envelope) bool { return bytes.Equal(s.Content, e.Content) })
					if !sameMsg(e, tc.envs[j]) {
						t.Errorf("%s: envelope %q differs from the one sent", short(mem), e.Content)
					}
				}
			}
		})
	}
}

func TestTimestampsAndCounters(t *testing.T) {
	f := stdFixture(t)
	alice, bob, carol := f.id("PAR::alice"), f.id("PAR::bob"), f.id("PAR::carol")
	x := f.newReplica(t)
	n := 0
	tx := func(from string, rs ...string) []byte {
		n++
		var recips []*pb.Recipient
		for _, r := range rs {
			recips = append(recips, to(r))
		}
		return f.sign(request(from, "id"+string(rune('a'+n)), t0+5000, envelope("c", recips...)))
	}
	type blk struct {
		time   int64
		txs    [][]byte
		wantTs []int64
	}
	blocks := []blk{
		{t0, [][]byte{tx(alice, bob), tx(bob, carol), tx(carol, alice, bob)}, []int64{t0, t0 + 1, t0 + 2}},
		// The block time is behind the last timestamp: ts = last + 1µs.
		{t0 + 1, [][]byte{tx(alice, carol), tx(alice, bob)}, []int64{t0 + 3, t0 + 4}},
		{t0 + 4, [][]byte{tx(bob, alice)}, []int64{t0 + 5}},
		{t0, nil, nil}, // an empty block keeps the last timestamp
		{t0 + 1000, [][]byte{tx(carol, bob), tx(bob, carol)}, []int64{t0 + 1000, t0 + 1001}},
		// A rejected but attributable submission takes a timestamp too; an undecodable one does not.
		{t0 + 1000, [][]byte{[]byte("junk"), f.sign(request(alice, "", t0+5000, envelope("c", to(bob)))), tx(alice, bob)}, []int64{t0 + 1002, t0 + 1003}},
	}
	var last int64
	for _, b := range blocks {
		out := x.exec(b.time, b.txs...)
		var got []int64
		for _, d := range out.Deliveries {
			evs, err := core.ReadEvents(x.r, d.Member, d.Counter, 1)
			if err != nil || len(evs) != 1 {
				t.Fatalf("ReadEvents(%s, %d): %v %v", short(d.Member), d.Counter, evs, err)
			}
			if ts := evs[0].TimestampMicros; len(got) == 0 || got[len(got)-1] != ts {
				got = append(got, ts)
			}
		}
		if !slices.Equal(got, b.wantTs) {
			t.Fatalf("block %d timestamps %v, want %v", x.height, got, b.wantTs)
		}
		if len(b.wantTs) > 0 {
			last = b.wantTs[len(b.wantTs)-1]
		}
		if out.Meta.LastTimestampMicros != last || out.Meta.Height != x.height {
			t.Fatalf("block %d meta %+v, want last ts %d", x.height, out.Meta, last)
		}
		meta, err := core.ReadMeta(x.r)
		if err != nil || !sameMsg(meta, out.Meta) {
			t.Fatalf("committed meta %+v (%v), outcome meta %+v", meta, err, out.Meta)
		}
	}
	for _, mem := range f.members {
		evs := x.events(mem)
		for i, ev := range evs {
			if ev.Counter != int64(i) {
				t.Fatalf("%s event %d has counter %d", short(mem), i, ev.Counter)
			}
			if i > 0 && ev.TimestampMicros <= evs[i-1].TimestampMicros {
				t.Fatalf("%s: timestamp %d after %d", short(mem), ev.TimestampMicros, evs[i-1].TimestampMicros)
			}
		}
		next, err := core.NextCounter(x.r, mem)
		if err != nil || next != int64(len(evs)) {
			t.Fatalf("NextCounter(%s) = %d, %v; stream has %d events", short(mem), next, err, len(evs))
		}
		// Reading from the middle returns the tail, and limit bounds the result.
		if len(evs) > 2 {
			tail, err := core.ReadEvents(x.r, mem, 1, 1)
			if err != nil || len(tail) != 1 || !sameMsg(tail[0], evs[1]) {
				t.Fatalf("ReadEvents(%s, 1, 1) = %v, %v", short(mem), tail, err)
			}
		}
	}
	// alice: 3 sent, 2 received (from carol and bob), 1 error, 1 more sent
	if got := len(x.events(alice)); got != 3+2+1+1 {
		t.Fatalf("alice has %d events, want 7", got)
	}
	if _, err := core.ReadEvents(x.r, alice, -1, 10); err == nil {
		t.Fatal("ReadEvents from a negative counter succeeded")
	}
	if evs, err := core.ReadEvents(x.r, alice, 100, 10); err != nil || len(evs) != 0 {
		t.Fatalf("ReadEvents past the end = %v, %v", evs, err)
	}
}

func TestExecuteRejectsWrongHeight(t *testing.T) {
	f := stdFixture(t)
	x := f.newReplica(t)
	for _, h := range []int64{0, 2, -1} {
		if _, err := f.m.Execute(x.r, core.Block{Height: h, TimeMicros: t0}); err == nil {
			t.Fatalf("Execute at height %d over an empty chain succeeded", h)
		}
	}
	x.exec(t0)
	if _, err := f.m.Execute(x.r, core.Block{Height: 1, TimeMicros: t0}); err == nil {
		t.Fatal("Execute repeated height 1")
	}
}

// TestRejections runs each refused submission alone in a block over a fresh chain, through
// Check and Execute.
func TestRejections(t *testing.T) {
	f := stdFixture(t)
	alice, bob := f.id("PAR::alice"), f.id("PAR::bob")
	p := f.g.Parameters
	ok := func(mutate func(r *pb.SubmissionRequest)) []byte {
		r := request(alice, "msg-1", t0+100, envelope("hi", to(bob)))
		if mutate != nil {
			mutate(r)
		}
		return signWith(f.keys[alice], r)
	}
	resign := func(tx []byte, mutate func(s *pb.SignedSubmission)) []byte {
		var s pb.SignedSubmission
		if err := s.Unmarshal(tx); err != nil {
			t.Fatal(err)
		}
		mutate(&s)
		return mustMarshal(&s)
	}
	outsider := memberID("PAR::mallory")
	nRecipients := func(n int) []*pb.Recipient {
		rs := make([]*pb.Recipient, n)
		for i := range rs {
			rs[i] = to(bob)
		}
		return rs
	}
	tests := []struct {
		name    string
		tx      []byte
		code    seqapi.Code
		errCode pb.ErrorCode // for attributable codes
		reason  string       // substring of the log
	}{
		{name: "empty tx", tx: nil, code: seqapi.CodeMalformed, reason: "sender"},
		{name: "garbage", tx: []byte{0xff, 0xff, 0xff}, code: seqapi.CodeMalformed, reason: "not a SignedSubmission"},
		{name: "request not a SubmissionRequest", tx: mustMarshal(&pb.SignedSubmission{Request: []byte{0x0a, 0xff}}), code: seqapi.CodeMalformed, reason: "request is not a SubmissionRequest"},
		{name: "sender not a member id", tx: ok(func(r *pb.SubmissionRequest) { r.Sender = "alice" }), code: seqapi.CodeMalformed, reason: "sender"},
		{name: "unknown sender", tx: signWith(testKey("PAR::mallory"), request(outsider, "m", t0+100, envelope("x", to(bob)))), code: seqapi.CodeUnknownSender, reason: "not a member"},
		{name: "unknown signing key", tx: signWith(testKey("PAR::bob"), request(alice, "m", t0+100, envelope("x", to(bob)))), code: seqapi.CodeUnknownKey, reason: "not a current signing key"},
		{name: "no signing key", tx: resign(ok(nil), func(s *pb.SignedSubmission) { s.SigningKey = "" }), code: seqapi.CodeUnknownKey},
		{name: "signature by another key", tx: resign(ok(nil), func(s *pb.SignedSubmission) {
			s.Signature = testKey("PAR::bob").Sign(0x23, s.Request)
		}), code: seqapi.CodeBadSignature, reason: "signature"},
		{name: "signature for another purpose", tx: resign(ok(nil), func(s *pb.SignedSubmission) {
			s.Signature = f.keys[alice].Sign(36, s.Request)
		}), code: seqapi.CodeBadSignature},
		{name: "tampered request", tx: resign(ok(nil), func(s *pb.SignedSubmission) {
			s.Request = mustMarshal(request(alice, "msg-1", t0+100, envelope("hi", to(alice))))
		}), code: seqapi.CodeBadSignature},
		{name: "truncated signature", tx: resign(ok(nil), func(s *pb.SignedSubmission) { s.Signature = s.Signature[:63] }), code: seqapi.CodeBadSignature},
		{name: "oversized", tx: ok(func(r *pb.SubmissionRequest) {
			r.Batch.Envelopes[0].Content = bytes.Repeat([]byte("z"), int(p.MaxRequestSize))
		}),
			code: seqapi.CodeTooLarge, errCode: pb.ErrorCode_ERROR_CODE_INVALID_BATCH, reason: "exceeds max_request_size 2048"},
		{name: "too many envelopes", tx: ok(func(r *pb.SubmissionRequest) {
			r.Batch.Envelopes = []*pb.Envelope{envelope("1", to(bob)), envelope("2", to(bob)), envelope("3", to(bob)), envelope("4", to(bob))}
		}), code: seqapi.CodeInvalidBatch, errCode: pb.ErrorCode_ERROR_CODE_INVALID_BATCH, reason: "4 envelopes, max_envelopes is 3"},
		{name: "too many recipients", tx: ok(func(r *pb.SubmissionRequest) { r.Batch.Envelopes[0].Recipients = nRecipients(4) }),
			code: seqapi.CodeInvalidBatch, errCode: pb.ErrorCode_ERROR_CODE_INVALID_BATCH, reason: "4 recipients, max_recipients is 3"},
		{name: "no recipients", tx: ok(func(r *pb.SubmissionRequest) { r.Batch.Envelopes[0].Recipients = nil }),
			code: seqapi.CodeInvalidBatch, errCode: pb.ErrorCode_ERROR_CODE_INVALID_BATCH, reason: "envelope 0: no recipients"},
		{name: "recipient with member and group", tx: ok(func(r *pb.SubmissionRequest) {
			r.Batch.Envelopes[0].Recipients = []*pb.Recipient{{Member: bob, Group: pb.GroupKind_GROUP_KIND_ALL_MEMBERS}}
		}), code: seqapi.CodeInvalidBatch, errCode: pb.ErrorCode_ERROR_CODE_INVALID_BATCH, reason: "exactly one member or one group"},
		{name: "empty recipient", tx: ok(func(r *pb.SubmissionRequest) { r.Batch.Envelopes[0].Recipients = []*pb.Recipient{{}} }),
			code: seqapi.CodeInvalidBatch, errCode: pb.ErrorCode_ERROR_CODE_INVALID_BATCH, reason: "exactly one member or one group"},
		{name: "unknown recipient member", tx: ok(func(r *pb.SubmissionRequest) {
			r.Batch.Envelopes[0].Recipients = []*pb.Recipient{to(bob), to(outsider)}
		}),
			code: seqapi.CodeUnknownRecipient, errCode: pb.ErrorCode_ERROR_CODE_UNKNOWN_RECIPIENT, reason: "is not a member"},
		{name: "unknown recipient in a later envelope", tx: ok(func(r *pb.SubmissionRequest) {
			r.Batch.Envelopes = append(r.Batch.Envelopes, envelope("2", to("PAR::x::1220")))
		}), code: seqapi.CodeUnknownRecipient, errCode: pb.ErrorCode_ERROR_CODE_UNKNOWN_RECIPIENT, reason: "envelope 1:"},
		{name: "empty mediator group", tx: ok(func(r *pb.SubmissionRequest) { r.Batch.Envelopes[0].Recipients = []*pb.Recipient{mediators(7)} }),
			code: seqapi.CodeUnknownRecipient, errCode: pb.ErrorCode_ERROR_CODE_UNKNOWN_RECIPIENT, reason: "has no members"},
		{name: "unknown group kind", tx: ok(func(r *pb.SubmissionRequest) { r.Batch.Envelopes[0].Recipients = []*pb.Recipient{group(99, 0)} }),
			code: seqapi.CodeUnknownRecipient, errCode: pb.ErrorCode_ERROR_CODE_UNKNOWN_RECIPIENT, reason: "has no members"},
		{name: "topology manager with a non-topology payload", tx: ok(func(r *pb.SubmissionRequest) { r.Batch.Envelopes[0].Recipients = []*pb.Recipient{topoMgr} }),
			code: seqapi.CodeTopologyRejected, errCode: pb.ErrorCode_ERROR_CODE_TOPOLOGY_REJECTED, reason: "not a signed topology transaction"},
		{name: "expired", tx: ok(func(r *pb.SubmissionRequest) { r.MaxSequencingTimeMicros = t0 - 1 }),
			code: seqapi.CodeExpired, errCode: pb.ErrorCode_ERROR_CODE_EXPIRED, reason: "passed"},
		{name: "no max sequencing time", tx: ok(func(r *pb.SubmissionRequest) { r.MaxSequencingTimeMicros = 0 }),
			code: seqapi.CodeExpired, errCode: pb.ErrorCode_ERROR_CODE_EXPIRED},
		{name: "too far in the future", tx: ok(func(r *pb.SubmissionRequest) { r.MaxSequencingTimeMicros = t0 + p.MaxSequencingHorizonMicros + 1 }),
			code: seqapi.CodeInvalidBatch, errCode: pb.ErrorCode_ERROR_CODE_INVALID_BATCH, reason: "more than 10000µs after"},
		{name: "empty message id", tx: ok(func(r *pb.SubmissionRequest) { r.MessageId = "" }),
			code: seqapi.CodeInvalidBatch, errCode: pb.ErrorCode_ERROR_CODE_INVALID_BATCH, reason: "message id must have 1 to 16 bytes, has 0"},
		{name: "message id too long", tx: ok(func(r *pb.SubmissionRequest) { r.MessageId = strings.Repeat("i", 17) }),
			code: seqapi.CodeInvalidBatch, errCode: pb.ErrorCode_ERROR_CODE_INVALID_BATCH, reason: "has 17"},
		// Boundaries that are accepted.
		{name: "max sequencing time now", tx: ok(func(r *pb.SubmissionRequest) { r.MaxSequencingTimeMicros = t0 }), code: seqapi.CodeOK},
		{name: "max sequencing time at the horizon", tx: ok(func(r *pb.SubmissionRequest) { r.MaxSequencingTimeMicros = t0 + p.MaxSequencingHorizonMicros }), code: seqapi.CodeOK},
		{name: "message id of max length", tx: ok(func(r *pb.SubmissionRequest) { r.MessageId = strings.Repeat("i", 16) }), code: seqapi.CodeOK},
		{name: "max recipients and envelopes", tx: ok(func(r *pb.SubmissionRequest) {
			r.Batch.Envelopes = []*pb.Envelope{{Recipients: nRecipients(3)}, {Recipients: nRecipients(3)}, {Recipients: nRecipients(3)}}
		}), code: seqapi.CodeOK},
		{name: "no batch", tx: ok(func(r *pb.SubmissionRequest) { r.Batch = nil }), code: seqapi.CodeOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := f.newReplica(t)
			checkErr := x.check(tc.tx, t0)
			out := x.exec(t0, tc.tx)
			res := out.TxResults[0]
			if res.Code != tc.code || !strings.Contains(res.Log, tc.reason) {
				t.Fatalf("tx result %v %q, want %v containing %q", res.Code, res.Log, tc.code, tc.reason)
			}
			// Check agrees with Execute on a fresh chain when now is the block time.
			var se *core.SubmissionError
			switch {
			case tc.code == seqapi.CodeOK && checkErr != nil:
				t.Fatalf("Check: %v", checkErr)
			case tc.code != seqapi.CodeOK && (!errors.As(checkErr, &se) || se.Code != tc.code || se.Reason != res.Log):
				t.Fatalf("Check = %v, want code %v with reason %q", checkErr, tc.code, res.Log)
			}
			switch {
			case tc.code == seqapi.CodeOK:
				if len(x.events(alice)) != 1 {
					t.Fatal("accepted submission without a receipt")
				}
			case tc.code.Attributable():
				assertOnlyError(t, x, alice, "", tc.errCode, t0)
				if res.Sender != alice {
					t.Fatalf("tx result sender %q", res.Sender)
				}
			default:
				assertNothing(t, x, out)
			}
		})
	}
}

// assertOnlyError checks that the member's stream ends in one DeliverError and that nobody
// else received anything in the last block.
func assertOnlyError(t *testing.T, x *replica, sender, msgID string, code pb.ErrorCode, ts int64) {
	t.Helper()
	for _, mem := range x.f.members {
		evs := x.events(mem)
		var last []*pb.SequencedEvent
		for _, ev := range evs {
			if ev.Height == x.height {
				last = append(last, ev)
			}
		}
		if mem != sender {
			if len(last) != 0 {
				t.Fatalf("%s received %d events in the block of a refused submission", short(mem), len(last))
			}
			continue
		}
		if len(last) != 1 {
			t.Fatalf("sender has %d events in the block, want one DeliverError", len(last))
		}
		ev := last[0]
		if ev.Kind != pb.EventKind_EVENT_KIND_DELIVER_ERROR || ev.ErrorCode != code || ev.ErrorReason == "" ||
			ev.TimestampMicros != ts || ev.Batch != nil || ev.Counter != int64(len(evs)-1) {
			t.Fatalf("sender event %+v, want DeliverError %v at %d", ev, code, ts)
		}
		if msgID != "" && ev.MessageId != msgID {
			t.Fatalf("DeliverError message id %q, want %q", ev.MessageId, msgID)
		}
	}
}

// assertNothing checks that an unattributable submission left no trace but the block head.
// onlyHeadWrites reports whether the block wrote only what every block writes: the head
// and its app-hash inputs.
func onlyHeadWrites(out *core.Outcome) bool {
	keys := map[string]bool{string(core.KeyMeta()): true, string(core.KeyAppHashInputs(out.Meta.Height)): true}
	for _, w := range out.Writes {
		if !keys[string(w.Key)] {
			return false
		}
		delete(keys, string(w.Key))
	}
	return len(keys) == 0
}

func assertNothing(t *testing.T, x *replica, out *core.Outcome) {
	t.Helper()
	if len(out.Deliveries) != 0 {
		t.Fatalf("deliveries %v for a dropped submission", out.Deliveries)
	}
	if !onlyHeadWrites(out) {
		t.Fatalf("%d writes for a dropped submission, want only the head and the block's app-hash inputs", len(out.Writes))
	}
	if out.Meta.LastTimestampMicros != 0 {
		t.Fatalf("a dropped submission took timestamp %d", out.Meta.LastTimestampMicros)
	}
	for _, mem := range x.f.members {
		if n := len(x.events(mem)); n != 0 {
			t.Fatalf("%s received %d events", short(mem), n)
		}
	}
}

func TestDuplicateMessageID(t *testing.T) {
	f := stdFixture(t)
	alice, bob, carol := f.id("PAR::alice"), f.id("PAR::bob"), f.id("PAR::carol")
	exp := t0 + 100
	first := f.sign(request(alice, "dup", exp, envelope("first", to(bob))))
	second := f.sign(request(alice, "dup", exp+5, envelope("second", to(bob))))
	x := f.newReplica(t)

	// Same block: the second one (and an exact replay) is refused; bob only sees the first.
	out := x.exec(t0, first, second, first, f.sign(request(carol, "dup", exp, envelope("carol's", to(bob)))))
	codes := []seqapi.Code{out.TxResults[0].Code, out.TxResults[1].Code, out.TxResults[2].Code, out.TxResults[3].Code}
	if !slices.Equal(codes, []seqapi.Code{seqapi.CodeOK, seqapi.CodeDuplicate, seqapi.CodeDuplicate, seqapi.CodeOK}) {
		t.Fatalf("codes %v, want OK, duplicate, duplicate, OK (another sender may reuse the id)", codes)
	}
	aliceEvs := x.events(alice)
	if len(aliceEvs) != 3 || aliceEvs[0].Kind != pb.EventKind_EVENT_KIND_DELIVER || aliceEvs[0].MessageId != "dup" {
		t.Fatalf("alice events %v, want a receipt and two errors", aliceEvs)
	}
	for _, ev := range aliceEvs[1:] {
		if ev.Kind != pb.EventKind_EVENT_KIND_DELIVER_ERROR || ev.ErrorCode != pb.ErrorCode_ERROR_CODE_DUPLICATE_MESSAGE_ID || ev.MessageId != "dup" {
			t.Fatalf("alice event %+v, want a duplicate DeliverError", ev)
		}
	}
	if got := x.events(bob); len(got) != 2 || contents(got[0])[0] != "first" || contents(got[1])[0] != "carol's" {
		t.Fatalf("bob events %v", got)
	}

	// A later block, still before the expiry (inclusive): refused by Check and Execute.
	for _, now := range []int64{t0 + 50, exp} {
		var se *core.SubmissionError
		if err := x.check(second, now); !errors.As(err, &se) || se.Code != seqapi.CodeDuplicate {
			t.Fatalf("Check at %d = %v, want duplicate", now, err)
		}
		x.exec(now, second)
		assertOnlyError(t, x, alice, "dup", pb.ErrorCode_ERROR_CODE_DUPLICATE_MESSAGE_ID, now)
	}

	// After the expiry the id can be used again.
	again := f.sign(request(alice, "dup", exp+1000, envelope("again", to(bob))))
	if err := x.check(again, exp+1); err != nil {
		t.Fatalf("Check after expiry: %v", err)
	}
	if out := x.exec(exp+1, again); out.TxResults[0].Code != seqapi.CodeOK {
		t.Fatalf("after expiry: %+v", out.TxResults[0])
	}
	if got := x.events(bob); len(got) != 3 || contents(got[2])[0] != "again" {
		t.Fatalf("bob events after reuse: %v", got)
	}
	// And it is a duplicate again until the new expiry.
	if out := x.exec(exp+2, again); out.TxResults[0].Code != seqapi.CodeDuplicate {
		t.Fatalf("replay after reuse: %+v", out.TxResults[0])
	}
}

// TestRefusedDoesNotReserveID: a refused submission does not block its message id.
func TestRefusedDoesNotReserveID(t *testing.T) {
	f := stdFixture(t)
	alice, bob := f.id("PAR::alice"), f.id("PAR::bob")
	x := f.newReplica(t)
	bad := f.sign(request(alice, "m", t0+100, envelope("x", to(memberID("PAR::nobody")))))
	good := f.sign(request(alice, "m", t0+100, envelope("x", to(bob))))
	out := x.exec(t0, bad, good)
	if out.TxResults[0].Code != seqapi.CodeUnknownRecipient || out.TxResults[1].Code != seqapi.CodeOK {
		t.Fatalf("results %+v", out.TxResults)
	}
}
