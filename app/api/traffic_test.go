package api_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/chaintest"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/seqapi"
	"github.com/cometsync/cometsync/testnet"
	"github.com/cometsync/cometsync/topology"
)

func trafficClient(t *testing.T, ctx context.Context, net *testnet.Network, name string) *driver.Client {
	t.Helper()
	m := net.Member(name)
	cfg := driver.DefaultConfig()
	cfg.Endpoints, cfg.Member, cfg.SigningKey = net.APIAddresses(), m.ID, m.Key
	cfg.ResubmitInterval = time.Second
	c, err := driver.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	go func() { _ = c.Subscribe(ctx, 0, func(context.Context, *pb.SequencedEvent) error { return nil }) }() // resolves receipts
	return c
}

func toTopologyManager(stx *topology.SignedTransaction) *pb.Batch {
	return &pb.Batch{Envelopes: []*pb.Envelope{{
		Recipients: []*pb.Recipient{{Group: pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER}}, Content: stx.Marshal(),
	}}}
}

func payloadTo(member string, n int) *pb.Batch {
	return &pb.Batch{Envelopes: []*pb.Envelope{{Recipients: []*pb.Recipient{{Member: member}}, Content: []byte(strings.Repeat("x", n))}}}
}

// TestTrafficExceededOnARealChain: on a one-validator chain the owners enable traffic
// control (burst 3000 bytes, 1 B/s) with a topology change delay of a minute, then grant
// p1 extra traffic, which is thus not in force yet. p1's first 2000-byte message is
// sequenced; its second passes the node's CheckTx (whose estimate uses the head of the
// topology, with the grant) but is over the budget in force when sequenced: p1 gets a
// DeliverError TRAFFIC_EXCEEDED on its stream, while p2's message in the meantime is
// delivered. GetTrafficState reports p1's account. p2, without extra traffic, has a
// message over its burst refused early by CheckTx (ResourceExhausted, submission code
// traffic_exceeded), which the driver returns as a SendError, not as an outage.
func TestTrafficExceededOnARealChain(t *testing.T) {
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: []testnet.MemberSpec{
		{Kind: crypto.KindParticipant, Name: "p1"}, {Kind: crypto.KindParticipant, Name: "p2"},
	}})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	p1, p2 := trafficClient(t, ctx, net, "p1"), trafficClient(t, ctx, net, "p2")
	p1ID, p2ID := net.Member("p1").ID, net.Member("p2").ID

	if st, err := p1.TrafficState(ctx); err != nil || st.Metered {
		t.Fatalf("before traffic control: %+v %v", st, err)
	}
	ts, err := p2.DownloadTopologyState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sync := ts.State.Head().Synchronizer()
	syncKey, err := net.SynchronizerKey()
	if err != nil {
		t.Fatal(err)
	}
	params, _ := ts.State.Head().Parameters()
	serial := ts.State.Serial(topology.SynchronizerParametersKey(sync.String())) + 1
	params.TopologyChangeDelayMicros = time.Minute.Microseconds()
	params.TrafficControl = &topopb.TrafficControlParameters{BaseRateBytesPerSecond: 1, BurstBytes: 3000}
	ptx, err := topology.NewTransaction(topopb.Operation_OPERATION_REPLACE, serial, topology.NewSynchronizerParameters(sync, params))
	if err != nil {
		t.Fatal(err)
	}
	// p2 carries the owners' transactions (and is charged from the next one on).
	if _, err := p2.SendAndWait(ctx, toTopologyManager(topology.Sign(ptx, false, syncKey)), driver.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	gtx, err := topology.NewTransaction(topopb.Operation_OPERATION_REPLACE, 1, topology.NewMemberTrafficLimit(sync, p1ID, 1<<30, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p2.SendAndWait(ctx, toTopologyManager(topology.Sign(gtx, false, syncKey)), driver.SendOptions{}); err != nil {
		t.Fatal(err)
	}

	if _, err := p1.SendAndWait(ctx, payloadTo(p2ID, 2000), driver.SendOptions{}); err != nil {
		t.Fatalf("first message within the burst: %v", err)
	}
	_, err = p1.SendAndWait(ctx, payloadTo(p2ID, 2000), driver.SendOptions{})
	var de *driver.DeliverError
	if !errors.As(err, &de) || de.Code() != pb.ErrorCode_ERROR_CODE_TRAFFIC_EXCEEDED || !strings.Contains(de.Event.ErrorReason, "costs") {
		t.Fatalf("second message over the budget: %v", err)
	}
	if _, err := p2.SendAndWait(ctx, payloadTo(p1ID, 100), driver.SendOptions{}); err != nil {
		t.Fatalf("p2's traffic while p1 is over its budget: %v", err)
	}

	st, err := p1.TrafficState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Metered || st.Maintenance || st.BurstBytes != 3000 || st.ExtraTrafficLimit != 0 || st.BaseTrafficRemaining >= 2000 || st.TotalConsumed < 2000 {
		t.Fatalf("p1's traffic state: %+v", st)
	}
	// p2 has no extra traffic: a message over its burst is refused early by CheckTx.
	_, err = p2.Send(ctx, payloadTo(p1ID, 3500), driver.SendOptions{})
	var se *driver.SendError
	if !errors.As(err, &se) || se.Code != seqapi.CodeTrafficExceeded || status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("p2 over its burst: %v", err)
	}
}

// TestGetTrafficStateOwnOnly: a member reads its own traffic state (not metered on a
// genesis without traffic control) and is refused another member's.
func TestGetTrafficStateOwnOnly(t *testing.T) {
	e := newEnv(t, nil)
	alice, bob := e.fx.Member("PAR::alice"), e.fx.Member("PAR::bob")
	ctx := e.login(t, "PAR::alice")
	st, err := e.seq.GetTrafficState(ctx, &pb.GetTrafficStateRequest{Member: alice.ID})
	if err != nil || st.Member != alice.ID || st.Metered {
		t.Fatalf("own traffic state: %+v %v", st, err)
	}
	_, err = e.seq.GetTrafficState(ctx, &pb.GetTrafficStateRequest{Member: bob.ID})
	wantCode(t, err, codes.PermissionDenied, "may not read the traffic state of "+bob.ID)
}
