package abci_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/cometsync/cometsync/abci"
	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/seqapi"
)

// openApp opens an application over a new database that the test closes at its end.
func openApp(t *testing.T) *abci.App {
	t.Helper()
	db, err := abci.OpenDB(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	app, err := abci.NewApp(db, discard())
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func newApp(t *testing.T) (*abci.App, []byte) {
	t.Helper()
	g, _, _ := aliceGenesis()
	return openApp(t), g.Canonical()
}

// aliceGenesis is a genesis whose only member is the participant alice, with alice's id
// and signing key.
func aliceGenesis() (*core.Genesis, crypto.Member, crypto.SigningPrivateKey) {
	ns, _ := crypto.GenerateSigningKey(nil)
	k, _ := crypto.GenerateSigningKey(nil)
	alice, _ := crypto.NewMember(crypto.KindParticipant, "alice", k.Fingerprint())
	return &core.Genesis{
		SynchronizerID: "sync::" + string(ns.Fingerprint()), ProtocolVersion: seqapi.ProtocolVersion,
		Parameters: core.DefaultParameters(),
		Members:    []core.GenesisMember{{ID: alice.String(), SigningKeys: []string{core.EncodeKey(k.Public())}}},
	}, alice, k
}

// TestAppLifecycle drives the ABCI methods in CometBFT's order and checks Info, Query,
// that Commit persists across a reopen, and that FinalizeBlock without InitChain fails.
func TestAppLifecycle(t *testing.T) {
	app, appState := newApp(t)
	ctx := t.Context()
	if _, err := app.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: 1, Time: time.Now()}); err == nil {
		t.Fatal("FinalizeBlock before InitChain succeeded")
	}
	if q, _ := app.Query(ctx, &abcitypes.RequestQuery{Path: abci.QueryMeta}); q.Code != abci.QueryCodeNotInitialized {
		t.Fatalf("query before init: code %d", q.Code)
	}
	if _, err := app.InitChain(ctx, &abcitypes.RequestInitChain{AppStateBytes: []byte("{not json")}); err == nil {
		t.Fatal("InitChain accepted a malformed app state")
	}
	if _, err := app.InitChain(ctx, &abcitypes.RequestInitChain{AppStateBytes: appState}); err != nil {
		t.Fatal(err)
	}
	var hash []byte
	for h := int64(1); h <= 3; h++ {
		res, err := app.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: h, Time: time.Unix(1700000000+h, 0), Txs: [][]byte{{0xff}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.TxResults) != 1 || res.TxResults[0].Code != uint32(seqapi.CodeMalformed) {
			t.Fatalf("tx result %+v, want code malformed", res.TxResults)
		}
		if _, err := app.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
		hash = res.AppHash
	}
	info, _ := app.Info(ctx, &abcitypes.RequestInfo{})
	if info.LastBlockHeight != 3 || string(info.LastBlockAppHash) != string(hash) {
		t.Fatalf("info %+v, want height 3 and the last app hash", info)
	}
	q, _ := app.Query(ctx, &abcitypes.RequestQuery{Path: abci.QueryMeta})
	var mv abci.MetaView
	if err := json.Unmarshal(q.Value, &mv); err != nil || mv.Height != 3 {
		t.Fatalf("meta query %s: %v", q.Value, err)
	}
	if q, _ := app.Query(ctx, &abcitypes.RequestQuery{Path: "/streams/alice"}); q.Code != abci.QueryCodeUnknownPath {
		t.Fatalf("unknown path answered with code %d", q.Code)
	}
	if _, err := app.Commit(ctx, &abcitypes.RequestCommit{}); err == nil {
		t.Fatal("Commit without FinalizeBlock succeeded")
	}
}

// TestPeerFilterRefusesOnceStopping: CometBFT's peer filter queries are accepted before
// InitChain (a state-syncing node needs peers) and refused with QueryCodeStopping once the
// node calls RefusePeers, which makes the switch close the connection.
func TestPeerFilterRefusesOnceStopping(t *testing.T) {
	app := openApp(t)
	ctx := context.Background()
	paths := []string{abci.QueryPeerFilter + "addr/127.0.0.1:26656", abci.QueryPeerFilter + "id/0123456789abcdef0123456789abcdef01234567"}
	for _, p := range paths {
		if q, err := app.Query(ctx, &abcitypes.RequestQuery{Path: p}); err != nil || q.IsErr() {
			t.Fatalf("%s before InitChain: code %d %q, err %v; want accepted", p, q.GetCode(), q.GetLog(), err)
		}
	}
	if q, _ := app.Query(ctx, &abcitypes.RequestQuery{Path: abci.QueryMeta}); q.Code != abci.QueryCodeNotInitialized {
		t.Fatalf("meta before InitChain answered with code %d", q.Code)
	}
	app.RefusePeers()
	for _, p := range paths {
		q, err := app.Query(ctx, &abcitypes.RequestQuery{Path: p})
		if err != nil || q.Code != abci.QueryCodeStopping || q.Log != "node is stopping" {
			t.Fatalf("%s after RefusePeers: code %d %q, err %v; want code %d", p, q.GetCode(), q.GetLog(), err, abci.QueryCodeStopping)
		}
	}
}
