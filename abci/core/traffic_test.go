package core_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/seqapi"
	"github.com/cometsync/cometsync/topology"
)

// trafficFixture is a synchronizer whose on-chain parameters enable traffic control
// (nil tc: not metered), with alice, bob and a sequencer as genesis members and extra
// genesis topology mappings signed by the synchronizer's namespace key.
func trafficFixture(t *testing.T, tc *topopb.TrafficControlParameters, extra ...func(crypto.UID, *fixture) *topopb.TopologyMapping) *fixture {
	t.Helper()
	f := newFixture(t, core.DefaultParameters(), "PAR::alice", "PAR::bob", "SEQ::seq")
	syncKey := testKey("synchronizer")
	uid, err := crypto.ParseUID(f.g.SynchronizerID)
	if err != nil {
		t.Fatal(err)
	}
	params := topology.NewSynchronizerParameters(uid, &topopb.SynchronizerParameters{
		OnboardingPolicy: topopb.OnboardingPolicy_ONBOARDING_POLICY_OPEN, DecisionTimeoutMicros: 1, MaxRequestSize: 1 << 20,
		TrafficControl: tc,
	})
	txs := [][]byte{signedTopo(t, 1, topology.NewRootCertificate(syncKey.Public()), syncKey), signedTopo(t, 1, params, syncKey)}
	for _, e := range extra {
		txs = append(txs, signedTopo(t, 1, e(uid, f), syncKey))
	}
	for _, b := range txs {
		f.g.Topology = append(f.g.Topology, base64.StdEncoding.EncodeToString(b))
	}
	if err := f.g.Validate(); err != nil {
		t.Fatal(err)
	}
	f.m = core.NewMachine(f.g)
	return f
}

// payload returns a submission of about size bytes (at least 330: a signed request's
// own overhead) from sender to to; tests price it by its actual length.
func (f *fixture) payload(t *testing.T, sender, msgID string, size int, maxSeq int64, to ...*pb.Recipient) []byte {
	t.Helper()
	pad := ""
	tx := f.sign(request(sender, msgID, maxSeq, envelope(pad, to...)))
	for range 8 { // length prefixes grow with the content: converge
		d := size - len(tx)
		switch {
		case d > 0:
			pad += strings.Repeat("x", d)
		case d < 0 && len(pad) >= -d:
			pad = pad[:len(pad)+d]
		}
		tx = f.sign(request(sender, msgID, maxSeq, envelope(pad, to...)))
	}
	if len(tx) < size-8 || len(tx) > size+8 {
		t.Fatalf("payload of %d bytes, want about %d", len(tx), size)
	}
	return tx
}

func (x *replica) traffic(member string) core.TrafficState {
	x.tb.Helper()
	st, err := x.f.m.TrafficStateOf(x.r, member)
	if err != nil {
		x.tb.Fatal(err)
	}
	return st
}

func wantTrafficExceeded(t *testing.T, x *replica, res core.TxResult, sender, msgID, reason string) {
	t.Helper()
	if res.Code != seqapi.CodeTrafficExceeded || !strings.Contains(res.Log, reason) {
		t.Fatalf("result %v %q, want traffic_exceeded with %q", res.Code, res.Log, reason)
	}
	var ev *pb.SequencedEvent
	for _, e := range x.events(sender) {
		if e.MessageId == msgID {
			ev = e
		}
	}
	if ev == nil || ev.Kind != pb.EventKind_EVENT_KIND_DELIVER_ERROR || ev.ErrorCode != pb.ErrorCode_ERROR_CODE_TRAFFIC_EXCEEDED ||
		!strings.Contains(ev.ErrorReason, reason) {
		t.Fatalf("%s's event for %s: %v", sender, msgID, ev)
	}
}

const sec = int64(1_000_000)

// TestTrafficChargedAndRefilledOnSequencerTime: each submission costs its size plus the
// recipient cost per recipient; over budget the sender gets TRAFFIC_EXCEEDED and
// nothing is delivered or charged while another member's traffic in the same block is
// sequenced; the bucket refills at the base rate over block time, never past the burst;
// CheckTx refuses early against the committed state.
func TestTrafficChargedAndRefilledOnSequencerTime(t *testing.T) {
	f := trafficFixture(t, &topopb.TrafficControlParameters{BaseRateBytesPerSecond: 100, BurstBytes: 1000, RecipientCostBytes: 10})
	x := f.newReplica(t)
	alice, bob, seq := f.id("PAR::alice"), f.id("PAR::bob"), f.id("SEQ::seq")
	horizon := t0 + 60*sec

	if st := x.traffic(alice); !st.Metered || st.BaseRemaining != 1000 || st.Burst != 1000 || st.BaseRate != 100 {
		t.Fatalf("fresh account %+v", st)
	}
	// About 400 bytes to bob and the sequencer: its size + 2×10.
	a1 := f.payload(t, alice, "a1", 400, horizon, to(bob), to(seq))
	cost1 := int64(len(a1)) + 20
	out := x.exec(t0, a1)
	if out.TxResults[0].Code != seqapi.CodeOK {
		t.Fatalf("a1: %v %s", out.TxResults[0].Code, out.TxResults[0].Log)
	}
	if st := x.traffic(alice); st.BaseRemaining != 1000-cost1 || st.TotalConsumed != cost1 || st.LastChargeMicros != t0 {
		t.Fatalf("after a1 (cost %d): %+v", cost1, st)
	}
	// Same block time again (the block's timestamps are t0+1, t0+2: less than a byte of
	// refill at 100 B/s): a2 fits, a3 does not, bob's own traffic in the same block is
	// sequenced.
	bobsBefore := len(x.events(bob))
	a2, a3 := f.payload(t, alice, "a2", 500, horizon, to(bob)), f.payload(t, alice, "a3", 400, horizon, to(bob))
	cost2, cost3 := int64(len(a2))+10, int64(len(a3))+10
	out = x.exec(t0, a2, a3, f.payload(t, bob, "b1", 400, horizon, to(alice)))
	if out.TxResults[0].Code != seqapi.CodeOK || out.TxResults[2].Code != seqapi.CodeOK {
		t.Fatalf("a2/b1: %+v", out.TxResults)
	}
	wantTrafficExceeded(t, x, out.TxResults[1], alice, "a3", fmt.Sprintf("costs %d bytes", cost3))
	if got := x.events(bob); len(got) != bobsBefore+2 || got[len(got)-1].MessageId != "b1" {
		t.Fatalf("bob got %d new events, want a2 and his receipt b1", len(got)-bobsBefore)
	}
	st := x.traffic(alice)
	if left := 1000 - cost1 - cost2; st.BaseRemaining != left || st.TotalConsumed != cost1+cost2 || left >= cost3 {
		t.Fatalf("after a2 and the refused a3: %+v", st)
	}
	// CheckTx: refused early now, admitted once enough sequencer time has passed.
	a4 := f.payload(t, alice, "a4", 400, horizon, to(bob))
	cost4 := int64(len(a4)) + 10
	var rej *core.SubmissionError
	if err := x.check(a4, t0+2); !errors.As(err, &rej) || rej.Code != seqapi.CodeTrafficExceeded {
		t.Fatalf("CheckTx over budget: %v", err)
	}
	if err := x.check(a4, t0+5*sec); err != nil {
		t.Fatalf("CheckTx after 5 s of refill: %v", err)
	}
	// Exactly the time that refills a4's cost at 100 B/s (a byte per 10 ms).
	last := st.LastChargeMicros
	out = x.exec(last+(cost4-st.BaseRemaining)*10_000, a4)
	if out.TxResults[0].Code != seqapi.CodeOK {
		t.Fatalf("a4 after refill: %v %s", out.TxResults[0].Code, out.TxResults[0].Log)
	}
	if st := x.traffic(alice); st.BaseRemaining != 0 {
		t.Fatalf("after a4: %+v", st)
	}
	// An hour later the bucket holds the burst, not more.
	// (The state is reported as of the last sequencing time: bob's message moves it.)
	x.exec(last+3600*sec, f.payload(t, bob, "b2", 400, last+3601*sec, to(seq)))
	if st := x.traffic(alice); st.BaseRemaining != 1000 {
		t.Fatalf("after an hour: %+v", st)
	}
	// Sequencers are not metered.
	if st := x.traffic(seq); st.Metered {
		t.Fatalf("sequencer metered: %+v", st)
	}
}

// TestExtraTrafficGrantedByTheOwners: a MemberTrafficLimit sent through the topology
// manager, signed by the synchronizer's namespace, lets alice send more than her burst;
// the extra traffic is used after the base traffic and runs out.
func TestExtraTrafficGrantedByTheOwners(t *testing.T) {
	f := trafficFixture(t, &topopb.TrafficControlParameters{BaseRateBytesPerSecond: 1, BurstBytes: 1000})
	x := f.newReplica(t)
	alice, bob := f.id("PAR::alice"), f.id("PAR::bob")
	uid, _ := crypto.ParseUID(f.g.SynchronizerID)
	horizon := t0 + 60*sec

	big := f.payload(t, alice, "big", 1500, horizon, to(bob))
	out := x.exec(t0, big)
	wantTrafficExceeded(t, x, out.TxResults[0], alice, "big", fmt.Sprintf("costs %d bytes", len(big)))
	// Bob (any member) carries the owners' grant to the topology manager; bob pays for it.
	grant := signedTopo(t, 1, topology.NewMemberTrafficLimit(uid, alice, 2000, nil), testKey("synchronizer"))
	out = x.exec(t0+sec, f.sign(request(bob, "grant", horizon, &pb.Envelope{Recipients: []*pb.Recipient{topoMgr}, Content: grant})))
	if out.TxResults[0].Code != seqapi.CodeOK || out.Topology == nil {
		t.Fatalf("grant: %v %s", out.TxResults[0].Code, out.TxResults[0].Log)
	}
	// A member's own namespace cannot grant itself traffic.
	self := signedTopo(t, 2, topology.NewMemberTrafficLimit(uid, alice, 1<<30, nil), testKey("PAR::alice"))
	out = x.exec(t0+2*sec, f.sign(request(alice, "self", horizon, &pb.Envelope{Recipients: []*pb.Recipient{topoMgr}, Content: self})))
	if out.TxResults[0].Code != seqapi.CodeTopologyRejected {
		t.Fatalf("self-granted traffic: %v %s", out.TxResults[0].Code, out.TxResults[0].Log)
	}
	if st := x.traffic(alice); st.ExtraLimit != 2000 || st.ExtraConsumed != 0 || st.TotalConsumed != 0 {
		t.Fatalf("after the grant (the refused self-grant is not charged): %+v", st)
	}
	big2 := f.payload(t, alice, "big2", 1500, horizon, to(bob))
	out = x.exec(t0+3*sec, big2)
	if out.TxResults[0].Code != seqapi.CodeOK {
		t.Fatalf("big2 with extra traffic: %v %s", out.TxResults[0].Code, out.TxResults[0].Log)
	}
	extra := int64(len(big2)) - 1000 // the full base bucket first
	if st := x.traffic(alice); st.BaseRemaining != 0 || st.ExtraConsumed != extra || st.ExtraRemaining() != 2000-extra {
		t.Fatalf("after big2: %+v", st)
	}
	// A second later: 1 byte of base traffic (1 B/s) and the rest of the extra.
	out = x.exec(t0+4*sec, f.payload(t, alice, "big3", 1700, horizon, to(bob)))
	wantTrafficExceeded(t, x, out.TxResults[0], alice, "big3", fmt.Sprintf("1 base and %d extra", 2000-extra))
}

// TestTrafficMaintenance: a member whose own base rate is 0 has every submission
// refused, even with extra traffic; others are unaffected.
func TestTrafficMaintenance(t *testing.T) {
	zero := int64(0)
	f := trafficFixture(t, &topopb.TrafficControlParameters{BaseRateBytesPerSecond: 100, BurstBytes: 1000},
		func(uid crypto.UID, f *fixture) *topopb.TopologyMapping {
			return topology.NewMemberTrafficLimit(uid, f.id("PAR::alice"), 1<<20, &zero)
		})
	x := f.newReplica(t)
	alice, bob := f.id("PAR::alice"), f.id("PAR::bob")
	if st := x.traffic(alice); !st.Maintenance {
		t.Fatalf("alice not in maintenance: %+v", st)
	}
	a := f.payload(t, alice, "a", 400, t0+sec, to(bob))
	var rej *core.SubmissionError
	if err := x.check(a, t0); !errors.As(err, &rej) || rej.Code != seqapi.CodeTrafficExceeded || !strings.Contains(rej.Reason, "maintenance") {
		t.Fatalf("CheckTx in maintenance: %v", err)
	}
	out := x.exec(t0, a, f.payload(t, bob, "b", 400, t0+sec, to(alice)))
	wantTrafficExceeded(t, x, out.TxResults[0], alice, "a", "maintenance")
	if out.TxResults[1].Code != seqapi.CodeOK {
		t.Fatalf("bob: %v %s", out.TxResults[1].Code, out.TxResults[1].Log)
	}
}

// TestTrafficDeterministic: two replicas executing the same blocks, with submissions
// paid and refused, agree on every write and app hash; a machine reloaded from the
// committed state reports the same accounts; the accounts are in the app hash (the same
// blocks without traffic control hash differently once something is charged), and a
// chain without traffic control writes no account.
func TestTrafficDeterministic(t *testing.T) {
	tc := &topopb.TrafficControlParameters{BaseRateBytesPerSecond: 300, BurstBytes: 900, RecipientCostBytes: 7}
	f := trafficFixture(t, tc)
	off := trafficFixture(t, nil)
	alice, bob := f.id("PAR::alice"), f.id("PAR::bob")
	var blocks [][][]byte
	for i := range 8 {
		var txs [][]byte
		for j := range 3 {
			id := fmt.Sprintf("%d-%d", i, j)
			txs = append(txs, f.payload(t, alice, "a"+id, 400+100*j, t0+60*sec, to(bob)), f.payload(t, bob, "b"+id, 400, t0+60*sec, to(alice), allMembers))
		}
		blocks = append(blocks, txs)
	}
	a, b, c := f.newReplica(t), f.newReplica(t), off.newReplica(t)
	refused := 0
	for i, txs := range blocks {
		ts := t0 + int64(i)*700_000
		oa, ob, oc := a.exec(ts, txs...), b.exec(ts, txs...), c.exec(ts, txs...)
		if err := sameOutcome(oa, ob); err != nil {
			t.Fatalf("block %d: %v", i+1, err)
		}
		if bytes.Equal(oa.Meta.AppHash, oc.Meta.AppHash) {
			t.Fatalf("block %d: the traffic accounts are not in the app hash", i+1)
		}
		for _, r := range oa.TxResults {
			if r.Code == seqapi.CodeTrafficExceeded {
				refused++
			}
		}
		for _, w := range oc.Writes {
			if bytes.HasPrefix(w.Key, core.KeyTraffic("")) {
				t.Fatalf("a chain without traffic control wrote account %q", w.Key)
			}
		}
	}
	if refused == 0 {
		t.Fatal("the blocks never exceeded anyone's traffic: the test proves little")
	}
	m, err := core.LoadMachine(a.r)
	if err != nil {
		t.Fatal(err)
	}
	for _, mem := range []string{alice, bob} {
		got, err := m.TrafficStateOf(a.r, mem)
		if err != nil || got != b.traffic(mem) {
			t.Fatalf("%s reloaded %+v (%v), replica %+v", mem, got, err, b.traffic(mem))
		}
	}
}
