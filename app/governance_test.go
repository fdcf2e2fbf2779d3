package app_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/chaintest"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/testnet"
	"github.com/cometsync/cometsync/topology"
)

// TestOwnersChangeTheValidatorSet: a full node joins a four-validator network by block
// sync; the synchronizer owners make it a validator with a ValidatorSetState, then
// remove validator 0 the same way. With nodes 0 and 1 stopped the chain goes on, which
// needs the new validator's votes; the running nodes have the same app hashes. A
// ValidatorSetState signed by a participant is rejected.
func TestOwnersChangeTheValidatorSet(t *testing.T) {
	if testing.Short() {
		t.Skip("five nodes")
	}
	net := chaintest.Start(t, testnet.Options{Validators: 4, Members: participants("alice")})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	idx, err := net.AddNode(testnet.AddNodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Start(idx); err != nil {
		t.Fatal(err)
	}
	alice := net.Member("alice")
	cfg := driver.DefaultConfig()
	cfg.Endpoints, cfg.Member, cfg.SigningKey = net.APIAddresses()[:4], alice.ID, alice.Key
	c, err := driver.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() { _ = c.Subscribe(ctx, 0, func(context.Context, *pb.SequencedEvent) error { return nil }) }()
	syncKey, err := net.SynchronizerKey()
	if err != nil {
		t.Fatal(err)
	}
	syncID, _ := crypto.ParseUID(net.SynchronizerID)
	submit := func(serial uint64, nodes []int, key crypto.SigningPrivateKey) error {
		var vs []*topopb.Validator
		for _, i := range nodes {
			vs = append(vs, &topopb.Validator{PubKeyEd25519: net.Homes[i].ValidatorPubKey.Bytes(), Power: 10})
		}
		tx, err := topology.NewTransaction(topopb.Operation_OPERATION_REPLACE, serial, topology.NewValidatorSet(syncID, vs...))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.SendAndWait(ctx, &pb.Batch{Envelopes: []*pb.Envelope{{
			Recipients: []*pb.Recipient{{Group: pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER}}, Content: topology.Sign(tx, false, key).Marshal(),
		}}}, driver.SendOptions{})
		return err
	}
	// validatorsOf waits, block by block on node i, until its latest block header names
	// exactly nodes (power 10 each) as the validator set.
	validatorsOf := func(i int, nodes []int) {
		t.Helper()
		var vals []*cmttypes.Validator
		for _, n := range nodes {
			vals = append(vals, cmttypes.NewValidator(net.Homes[n].ValidatorPubKey, 10))
		}
		want := cmttypes.NewValidatorSet(vals).Hash()
		bs := net.Node(i).CometBFT().BlockStore()
		for {
			h := bs.Height()
			if meta := bs.LoadBlockMeta(h); meta != nil && bytes.Equal(meta.Header.ValidatorsHash, want) {
				return
			}
			if err := net.WaitHeight(ctx, i, h+1); err != nil {
				t.Fatalf("node %d: validator set never became %v: %v", i, nodes, err)
			}
		}
	}

	var de *driver.DeliverError
	if err := submit(1, []int{0, 1, 2, 3, 4}, alice.Key); !errors.As(err, &de) || de.Event.ErrorCode != pb.ErrorCode_ERROR_CODE_TOPOLOGY_REJECTED {
		t.Fatalf("a validator set signed by a participant: %v, want a topology rejection", err)
	}
	if err := submit(1, []int{0, 1, 2, 3, 4}, syncKey); err != nil {
		t.Fatalf("add node 4: %v", err)
	}
	validatorsOf(1, []int{0, 1, 2, 3, 4})
	validatorsOf(4, []int{0, 1, 2, 3, 4})
	if err := submit(2, []int{1, 2, 3, 4}, syncKey); err != nil {
		t.Fatalf("remove node 0: %v", err)
	}
	validatorsOf(1, []int{1, 2, 3, 4})
	// Node 0 is out of the set, node 1 is stopped too: nodes 2, 3 and 4 hold 30 of the 40
	// votes, so blocks are made only if node 4 signs them.
	net.Stop(0)
	net.Stop(1)
	top := net.Node(2).App().Meta().Height
	if err := net.WaitHeight(ctx, 2, top+3); err != nil {
		t.Fatalf("the chain stopped with node 4 as a validator: %v", err)
	}
	for h := top; h < top+2; h++ {
		want := net.AppHashAt(2, h)
		for _, i := range []int{3, 4} {
			if err := net.WaitHeight(ctx, i, h+1); err != nil {
				t.Fatal(err)
			}
			if got := net.AppHashAt(i, h); !bytes.Equal(got, want) {
				t.Fatalf("app hash at %d: node %d %x, node 2 %x", h, i, got, want)
			}
		}
	}
}
