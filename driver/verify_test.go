package driver_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cometsync/cometsync/app/api/apitest"
	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/chaintest"
	"github.com/cometsync/cometsync/internal/lyingnode"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/testnet"
)

// verifiedChain is a real one-validator chain on which bob has sent alice n batches.
type verifiedChain struct {
	net     *testnet.Network
	genesis *cmttypes.GenesisDoc
	// want is alice's stream as an honest node serves it (without verification).
	want []*pb.SequencedEvent
}

const sentBatches = 6

func startVerifiedChain(t *testing.T) *verifiedChain {
	t.Helper()
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: []testnet.MemberSpec{
		{Kind: crypto.KindParticipant, Name: "alice"}, {Kind: crypto.KindParticipant, Name: "bob"},
	}})
	g, err := cmttypes.GenesisDocFromFile(filepath.Join(net.Homes[0].Home, "config", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	vc := &verifiedChain{net: net, genesis: g}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	bob := vc.client(t, "bob", nil, net.APIAddress(0))
	go func() { _ = bob.Subscribe(ctx, 0, func(context.Context, *pb.SequencedEvent) error { return nil }) }()
	alice := net.Member("alice").ID
	for i := range sentBatches {
		batch := &pb.Batch{Envelopes: []*pb.Envelope{{Recipients: []*pb.Recipient{{Member: alice}}, Content: fmt.Appendf(nil, "batch %d", i)}}}
		if _, err := bob.SendAndWait(ctx, batch, driver.SendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Alice's stream as the honest node serves it, read until the last batch.
	ref := vc.client(t, "alice", nil, net.APIAddress(0))
	last := fmt.Sprintf("batch %d", sentBatches-1)
	done := errors.New("done")
	err = ref.Subscribe(ctx, 0, func(_ context.Context, ev *pb.SequencedEvent) error {
		vc.want = append(vc.want, ev)
		if b := ev.GetBatch(); b != nil && len(b.Envelopes) > 0 && string(b.Envelopes[0].Content) == last {
			return done
		}
		return nil
	})
	if !errors.Is(err, done) {
		t.Fatalf("reference subscription: %v", err)
	}
	return vc
}

// client returns a driver client of member name; verify, when set, turns verification
// on with the chain's genesis as the trust root and fast checks, then adjusts it.
func (vc *verifiedChain) client(t *testing.T, name string, verify func(*driver.VerifyConfig), endpoints ...string) *driver.Client {
	t.Helper()
	m := vc.net.Member(name)
	cfg := driver.DefaultConfig()
	cfg.Endpoints, cfg.Member, cfg.SigningKey, cfg.SynchronizerID = endpoints, m.ID, m.Key, vc.net.SynchronizerID
	cfg.ResubmitInterval, cfg.ReconnectBackoff, cfg.MaxReconnectBackoff = 200*time.Millisecond, 10*time.Millisecond, 200*time.Millisecond
	if verify != nil {
		cfg.Verify.Enabled, cfg.Verify.Genesis = true, vc.genesis
		cfg.Verify.HeadInterval, cfg.Verify.OmissionWait, cfg.Verify.Quarantine = 100*time.Millisecond, 3*time.Second, time.Minute
		verify(&cfg.Verify)
	}
	c, err := driver.New(cfg, apitest.TestLogger(t).With("client", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// collect subscribes c from 0 until it has len(vc.want) events and returns them.
func (vc *verifiedChain) collect(ctx context.Context, c *driver.Client) ([]*pb.SequencedEvent, error) {
	var got []*pb.SequencedEvent
	enough := errors.New("enough")
	err := c.Subscribe(ctx, 0, func(_ context.Context, ev *pb.SequencedEvent) error {
		got = append(got, ev)
		if len(got) == len(vc.want) {
			return enough
		}
		return nil
	})
	if errors.Is(err, enough) {
		err = nil
	}
	return got, err
}

// sameStream fails unless got is vc.want event for event, byte for byte.
func (vc *verifiedChain) sameStream(t *testing.T, got []*pb.SequencedEvent) {
	t.Helper()
	if len(got) != len(vc.want) {
		t.Fatalf("got %d events, want %d", len(got), len(vc.want))
	}
	for i := range got {
		a, _ := got[i].Marshal()
		b, _ := vc.want[i].Marshal()
		if got[i].Counter != int64(i) || string(a) != string(b) {
			t.Fatalf("event %d: got %v, want %v", i, got[i], vc.want[i])
		}
	}
}

func TestVerifiedSubscribeThroughAnHonestNode(t *testing.T) {
	vc := startVerifiedChain(t)
	c := vc.client(t, "alice", func(*driver.VerifyConfig) {}, vc.net.APIAddress(0))
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	got, err := vc.collect(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	vc.sameStream(t, got)
	first, last := c.VerifiedHeights()
	if first < 2 || last < first || last <= got[len(got)-1].Height {
		t.Fatalf("verified heights %d..%d for events up to height %d", first, last, got[len(got)-1].Height)
	}
}

// TestVerifiedSubscribeFromAPrunedBlockStore: through a node whose block store starts
// at height 2 (header 1, the genesis trust root, pruned), the client trusts the earliest
// header it serves once the genesis validators signed it (or, trusting on first use, as
// it would header 1), and verifies the whole stream; a configured trusted header below
// the store's base is refused as a trust_height configuration error.
func TestVerifiedSubscribeFromAPrunedBlockStore(t *testing.T) {
	vc := startVerifiedChain(t)
	pruned := lyingnode.Start(t, vc.net.APIAddress(0), lyingnode.Lie{ClaimPrunedBelow: 2})
	c := vc.client(t, "alice", func(v *driver.VerifyConfig) { v.GiveUpAfter = 1 }, pruned.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	got, err := vc.collect(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	vc.sameStream(t, got)
	if first, _ := c.VerifiedHeights(); first < 2 {
		t.Fatalf("verified from height %d, below the pruned store's base", first)
	}
	// Trust on first use takes the earliest header served instead of header 1.
	tofu := vc.client(t, "alice", func(v *driver.VerifyConfig) {
		v.Genesis, v.ChainID, v.TrustOnFirstUse, v.GiveUpAfter = nil, vc.genesis.ChainID, true, 1
	}, pruned.Addr())
	got, err = vc.collect(ctx, tofu)
	if err != nil {
		t.Fatalf("trust on first use of a pruned store: %v", err)
	}
	vc.sameStream(t, got)
	// A trusted header the node pruned is a configuration error naming the field.
	c2 := vc.client(t, "alice", func(v *driver.VerifyConfig) {
		v.Genesis, v.ChainID, v.TrustHeight, v.TrustHash = nil, vc.genesis.ChainID, 1, strings.Repeat("AB", 32)
	}, pruned.Addr())
	_, err = vc.collect(ctx, c2)
	var ce *driver.ConfigError
	if !errors.As(err, &ce) || ce.Field != "trust_height" {
		t.Fatalf("trusted header 1 pruned: %v, want a trust_height configuration error", err)
	}
	t.Logf("refused: %v", err)
}

// lies are the lying node's lies, each with the error a verifying client must give.
func lies(vc *verifiedChain) []struct {
	name string
	lie  lyingnode.Lie
	want error
} {
	mid := int64(len(vc.want) / 2)
	bob := vc.net.Member("bob")
	return []struct {
		name string
		lie  lyingnode.Lie
		want error
	}{
		{"altered byte", lyingnode.Lie{HasAlter: true, AlterCounter: mid}, driver.ErrEventProof},
		{"dropped event", lyingnode.Lie{HasDrop: true, DropCounter: mid}, driver.ErrEventProof},
		{"reordered events", lyingnode.Lie{HasSwap: true, SwapCounter: mid}, driver.ErrEventProof},
		{"another member's events", lyingnode.Lie{OtherMember: bob.ID, OtherKey: bob.Key}, driver.ErrEventProof},
		{"forged header", lyingnode.Lie{ForgeHeadersFrom: 2}, driver.ErrHeaderVerification},
		{"header from a fork", lyingnode.Lie{ForkHeadersFrom: 2}, driver.ErrHeaderVerification},
		// Blocks "pruned" below a forked header, which would become the trust root: it is
		// not signed by the genesis validators.
		{"pruned history below a fork", lyingnode.Lie{ClaimPrunedBelow: 2, ForkHeadersFrom: 2}, driver.ErrHeaderVerification},
		{"withheld tail", lyingnode.Lie{HasWithhold: true, WithholdFrom: mid}, driver.ErrOmittedEvents},
	}
}

// TestLyingNodeDetected: through a lying node alone, each lie ends the subscription
// (GiveUpAfter 1) with its specific error.
func TestLyingNodeDetected(t *testing.T) {
	vc := startVerifiedChain(t)
	for _, tc := range lies(vc) {
		t.Run(tc.name, func(t *testing.T) {
			liar := lyingnode.Start(t, vc.net.APIAddress(0), tc.lie)
			c := vc.client(t, "alice", func(v *driver.VerifyConfig) { v.GiveUpAfter = 1 }, liar.Addr())
			ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
			defer cancel()
			_, err := vc.collect(ctx, c)
			var ve *driver.VerifyError
			if !errors.Is(err, tc.want) || !errors.As(err, &ve) || ve.Endpoint != liar.Addr() || ve.Member != vc.net.Member("alice").ID {
				t.Fatalf("want %v from %s, got %v", tc.want, liar.Addr(), err)
			}
			t.Logf("detected: %v", err)
		})
	}
}

// TestLyingNodeThenHonestNode: with the liar first and an honest node second, the
// client reports the lie and receives its whole stream, exactly once and in order,
// through the honest node.
func TestLyingNodeThenHonestNode(t *testing.T) {
	vc := startVerifiedChain(t)
	for _, tc := range lies(vc) {
		t.Run(tc.name, func(t *testing.T) {
			liar := lyingnode.Start(t, vc.net.APIAddress(0), tc.lie)
			var mu sync.Mutex
			var faults []error
			c := vc.client(t, "alice", func(v *driver.VerifyConfig) {
				v.OnFault = func(err error) { mu.Lock(); faults = append(faults, err); mu.Unlock() }
			}, liar.Addr(), vc.net.APIAddress(0))
			ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
			defer cancel()
			got, err := vc.collect(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			vc.sameStream(t, got)
			mu.Lock()
			defer mu.Unlock()
			if len(faults) == 0 || !errors.Is(faults[0], tc.want) {
				t.Fatalf("want the lie reported as %v, got %v", tc.want, faults)
			}
		})
	}
}
