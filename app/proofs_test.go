package app_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/internal/chaintest"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/proto/sequencersvc"
	"github.com/cometsync/cometsync/seqproof"
	"github.com/cometsync/cometsync/testnet"
	"github.com/cometsync/cometsync/topology"
)

// lightVerifier fetches light blocks from a node's proof service and verifies each
// commit against the genesis validators (the set does not change in these tests), as a
// light client trusting the genesis would.
type lightVerifier struct {
	t       *testing.T
	net     *testnet.Network
	proofs  sequencersvc.SequencerProofServiceClient
	chainID string
	vals    *cmttypes.ValidatorSet
}

func newLightVerifier(t *testing.T, net *testnet.Network, c *rawClient) *lightVerifier {
	gen := net.Node(0).CometBFT().GenesisDoc()
	vals := make([]*cmttypes.Validator, len(gen.Validators))
	for i, v := range gen.Validators {
		vals[i] = cmttypes.NewValidator(v.PubKey, v.Power)
	}
	return &lightVerifier{t: t, net: net, proofs: sequencersvc.NewSequencerProofServiceClient(c.conn), chainID: gen.ChainID, vals: cmttypes.NewValidatorSet(vals)}
}

// appHashAfter returns the verified app hash of block h: from the light block of h + 1,
// once the node has it.
func (v *lightVerifier) appHashAfter(ctx context.Context, h int64) []byte {
	v.t.Helper()
	if err := v.net.WaitHeight(ctx, 0, h+1); err != nil {
		v.t.Fatal(err)
	}
	res, err := v.proofs.GetLightBlock(ctx, &pb.GetLightBlockRequest{Height: h + 1})
	if err != nil {
		v.t.Fatalf("GetLightBlock(%d): %v", h+1, err)
	}
	if res.ChainId != v.chainID {
		v.t.Fatalf("light block of chain %q, genesis says %q", res.ChainId, v.chainID)
	}
	var p cmtproto.LightBlock
	if err := p.Unmarshal(res.LightBlock); err != nil {
		v.t.Fatal(err)
	}
	lb, err := cmttypes.LightBlockFromProto(&p)
	if err != nil {
		v.t.Fatal(err)
	}
	if err := lb.ValidateBasic(v.chainID); err != nil {
		v.t.Fatalf("light block %d: %v", h+1, err)
	}
	if lb.Height != h+1 || !bytes.Equal(lb.ValidatorSet.Hash(), v.vals.Hash()) {
		v.t.Fatalf("light block %d: height %d, validators %X", h+1, lb.Height, lb.ValidatorSet.Hash())
	}
	if err := v.vals.VerifyCommitLight(v.chainID, lb.Commit.BlockID, lb.Height, lb.Commit); err != nil {
		v.t.Fatalf("commit of light block %d: %v", h+1, err)
	}
	return lb.AppHash
}

// TestVerifiedReads runs a real chain and checks, as a member trusting only the genesis
// validators would, every event a subscription with proofs delivers, the stream heads and
// the topology download; a tampered event, head or state fails with its reason.
func TestVerifiedReads(t *testing.T) {
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: participants("alice", "bob", "carol", "dave")})
	alice, bob, carol, dave := net.Member("alice"), net.Member("bob"), net.Member("carol"), net.Member("dave")
	c := dialRaw(t, net.APIAddress(0))
	v := newLightVerifier(t, net, c)
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	actx, bctx := c.login(t, alice), c.login(t, bob)
	sends := []struct {
		ctx context.Context
		tx  []byte
	}{
		{actx, submission(alice.ID, alice.Key, "1", timeSoon(), []byte("to bob"), to(bob.ID)...)},
		{actx, submission(alice.ID, alice.Key, "2", timeSoon(), []byte("to bob and carol"), to(bob.ID, carol.ID)...)},
		{bctx, submission(bob.ID, bob.Key, "1", timeSoon(), []byte("to alice"), to(alice.ID)...)},
		{actx, submission(alice.ID, alice.Key, "1", timeSoon(), []byte("duplicate id"), to(bob.ID)...)},
	}
	for _, s := range sends {
		if _, err := c.seq.Send(s.ctx, &pb.SendRequest{Submission: s.tx}); err != nil {
			t.Fatal(err)
		}
	}
	// alice: two receipts, bob's message, an error for the duplicate; bob: two deliveries
	// and his receipt. alice reads one event per response, bob several.
	for _, sub := range []struct {
		name     string
		ctx      context.Context
		member   string
		n        int
		perBatch uint32
	}{{"alice", actx, alice.ID, 4, 0}, {"bob", bctx, bob.ID, 3, 8}} {
		evs, proofs := subscribeWithProofs(t, ctx, c, sub.ctx, sub.member, sub.n, sub.perBatch)
		for i, ev := range evs {
			appHash := v.appHashAfter(ctx, ev.Height)
			if err := seqproof.VerifyEvent(sub.member, ev, proofs[i], appHash); err != nil {
				t.Fatalf("%s event %d: %v", sub.name, ev.Counter, err)
			}
			if ev.Batch != nil && len(ev.Batch.Envelopes) > 0 {
				ev.Batch.Envelopes[0].Content[0] ^= 1
				if err := seqproof.VerifyEvent(sub.member, ev, proofs[i], appHash); !errors.Is(err, seqproof.ErrLeafMismatch) {
					t.Fatalf("%s tampered event %d: %v, want ErrLeafMismatch", sub.name, ev.Counter, err)
				}
			}
			if err := seqproof.VerifyEvent(carol.ID, ev, proofs[i], appHash); !errors.Is(err, seqproof.ErrLeafMismatch) {
				t.Fatalf("%s event %d served as carol's: %v, want ErrLeafMismatch", sub.name, ev.Counter, err)
			}
		}
		checkStreamHead(t, ctx, v, sub.member, int64(sub.n))
	}
	checkStreamHead(t, ctx, v, carol.ID, 1)
	// dave got nothing: the node proves his stream absent from the counters tree, and a
	// node that claims so for bob is refused.
	res, err := v.proofs.GetStreamHead(ctx, &pb.GetStreamHeadRequest{Member: dave.ID})
	if err != nil || !res.Absent || res.NextCounter != 0 {
		t.Fatalf("dave's stream head: %+v, %v", res, err)
	}
	if err := seqproof.VerifyStreamHead(dave.ID, res, v.appHashAfter(ctx, res.Height)); err != nil {
		t.Fatalf("dave's absent stream head: %v", err)
	}
	if res, err = v.proofs.GetStreamHead(ctx, &pb.GetStreamHeadRequest{Member: bob.ID}); err != nil {
		t.Fatal(err)
	}
	res.Absent, res.NextCounter, res.Aunts, res.LeafIndex = true, 0, nil, 0
	if err := seqproof.VerifyStreamHead(bob.ID, res, v.appHashAfter(ctx, res.Height)); !errors.Is(err, seqproof.ErrNotAbsent) {
		t.Fatalf("bob's stream claimed absent: %v, want ErrNotAbsent", err)
	}
	checkTopologyDownload(t, ctx, v, c, bctx, bob.ID)
	if _, err := v.proofs.GetLightBlock(ctx, &pb.GetLightBlockRequest{Height: 1 << 40}); status.Code(err) != codes.NotFound {
		t.Fatalf("light block of a future height: %v, want NotFound", err)
	}
	if _, err := v.proofs.GetStreamHead(ctx, &pb.GetStreamHeadRequest{Member: bob.ID, Height: 1 << 40}); status.Code(err) != codes.NotFound {
		t.Fatalf("stream head at a future height: %v, want NotFound", err)
	}
	latest, err := v.proofs.GetLightBlock(ctx, &pb.GetLightBlockRequest{})
	if err != nil || len(latest.LightBlock) == 0 {
		t.Fatalf("latest light block: %v", err)
	}
}

// subscribeWithProofs reads n events of member with their proofs.
func subscribeWithProofs(t *testing.T, ctx context.Context, c *rawClient, authed context.Context, member string, n int, perResponse uint32) ([]*pb.SequencedEvent, []*pb.EventProof) {
	t.Helper()
	sctx, cancel := context.WithCancel(authed)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	stream, err := c.seq.Subscribe(sctx, &pb.SubscribeRequest{Member: member, WithProofs: true, MaxEventsPerResponse: perResponse})
	if err != nil {
		t.Fatal(err)
	}
	var evs []*pb.SequencedEvent
	var proofs []*pb.EventProof
	for len(evs) < n {
		res, err := stream.Recv()
		if err != nil {
			t.Fatalf("subscription of %s after %d events: %v", member, len(evs), err)
		}
		got := res.Events
		if res.Event != nil {
			got = []*pb.SequencedEvent{res.Event}
		}
		if len(res.Proofs) != len(got) {
			t.Fatalf("response with %d events and %d proofs", len(got), len(res.Proofs))
		}
		evs, proofs = append(evs, got...), append(proofs, res.Proofs...)
	}
	return evs, proofs
}

// checkStreamHead waits until the node proves member's stream holds want events and
// verifies that proof; a shortened head fails.
func checkStreamHead(t *testing.T, ctx context.Context, v *lightVerifier, member string, want int64) {
	t.Helper()
	for {
		res, err := v.proofs.GetStreamHead(ctx, &pb.GetStreamHeadRequest{Member: member})
		if err != nil {
			t.Fatalf("GetStreamHead(%s): %v", member, err)
		}
		appHash := v.appHashAfter(ctx, res.Height)
		if err := seqproof.VerifyStreamHead(member, res, appHash); err != nil {
			t.Fatalf("stream head of %s at %d: %v", member, res.Height, err)
		}
		if res.NextCounter > want {
			t.Fatalf("stream head of %s: %d events, only %d sent", member, res.NextCounter, want)
		}
		if res.NextCounter == want {
			res.NextCounter--
			wantErr := seqproof.ErrLeafMismatch
			if want == 1 {
				wantErr = seqproof.ErrBadHead // present with no event
			}
			if err := seqproof.VerifyStreamHead(member, res, appHash); !errors.Is(err, wantErr) {
				t.Fatalf("shortened stream head: %v, want %v", err, wantErr)
			}
			return
		}
		// The latest provable height is before the last event's block: await the next.
		if err := v.net.WaitHeight(ctx, 0, res.Height+2); err != nil {
			t.Fatal(err)
		}
	}
}

// checkTopologyDownload verifies the downloaded topology state against the app hash of
// its height; another state fails.
func checkTopologyDownload(t *testing.T, ctx context.Context, v *lightVerifier, c *rawClient, authed context.Context, member string) {
	t.Helper()
	res, err := c.seq.DownloadTopologyStateForInit(authed, &pb.DownloadTopologyStateForInitRequest{Member: member})
	if err != nil {
		t.Fatal(err)
	}
	st, err := topology.Unmarshal(res.State)
	if err != nil {
		t.Fatal(err)
	}
	appHash := v.appHashAfter(ctx, res.Height)
	if !bytes.Equal(appHash, res.AppHash) {
		t.Fatalf("download says app hash %X at %d, the header %X", res.AppHash, res.Height, appHash)
	}
	if err := seqproof.VerifyTopology(res, st.Hash(), appHash); err != nil {
		t.Fatal(err)
	}
	other := bytes.Clone(st.Hash())
	other[0] ^= 1
	if err := seqproof.VerifyTopology(res, other, appHash); !errors.Is(err, seqproof.ErrMembershipRootMismatch) {
		t.Fatalf("another state: %v, want ErrMembershipRootMismatch", err)
	}
}
