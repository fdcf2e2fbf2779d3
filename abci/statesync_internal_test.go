package abci

import (
	"bytes"
	"log/slog"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/seqapi"
)

func testApp(t *testing.T) *App {
	t.Helper()
	db, err := OpenDB(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a, err := NewApp(db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestSnapshotRestore takes a snapshot of one app (small chunks) and restores it into an
// empty one, refusing a snapshot that does not match the verified app hash and a chunk
// whose bytes were altered.
func TestSnapshotRestore(t *testing.T) {
	ctx := t.Context()
	src := testApp(t)
	if err := src.EnableSnapshots(SnapshotConfig{Dir: t.TempDir(), Interval: 0, KeepRecent: 1, ChunkSize: 1024}); err != nil {
		t.Fatal(err)
	}
	ns, _ := crypto.GenerateSigningKey(nil)
	g := &core.Genesis{SynchronizerID: "s::" + string(ns.Fingerprint()), ProtocolVersion: seqapi.ProtocolVersion, Parameters: core.DefaultParameters()}
	for i := 0; i < 40; i++ { // enough members for several 1 KiB chunks
		k, _ := crypto.GenerateSigningKey(nil)
		m, _ := crypto.NewMember(crypto.KindParticipant, "p"+string(rune('a'+i%26))+string(rune('a'+i/26)), k.Fingerprint())
		g.Members = append(g.Members, core.GenesisMember{ID: m.String(), SigningKeys: []string{core.EncodeKey(k.Public())}})
	}
	if _, err := src.InitChain(ctx, &abcitypes.RequestInitChain{AppStateBytes: g.Canonical()}); err != nil {
		t.Fatal(err)
	}
	for h := int64(1); h <= 3; h++ {
		if _, err := src.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: h, Time: time.Unix(1700000000+h, 0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := src.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
	}
	meta := src.Meta()
	src.snapshots.busy = true
	src.snapshots.create(uint64(meta.Height), meta.AppHash, src.db.NewTransaction(false))
	list, _ := src.ListSnapshots(ctx, &abcitypes.RequestListSnapshots{})
	if len(list.Snapshots) != 1 || list.Snapshots[0].Chunks < 2 {
		t.Fatalf("snapshots %+v, want one with several chunks", list.Snapshots)
	}
	snap := list.Snapshots[0]

	dst := testApp(t)
	if res, _ := dst.OfferSnapshot(ctx, &abcitypes.RequestOfferSnapshot{Snapshot: snap, AppHash: []byte("not the app hash")}); res.Result != abcitypes.ResponseOfferSnapshot_REJECT {
		t.Fatalf("offer with a wrong app hash: %v", res.Result)
	}
	if res, _ := dst.OfferSnapshot(ctx, &abcitypes.RequestOfferSnapshot{Snapshot: snap, AppHash: meta.AppHash}); res.Result != abcitypes.ResponseOfferSnapshot_ACCEPT {
		t.Fatalf("offer: %v", res.Result)
	}
	for i := uint32(0); i < snap.Chunks; i++ {
		chunk, _ := src.LoadSnapshotChunk(ctx, &abcitypes.RequestLoadSnapshotChunk{Height: snap.Height, Format: snap.Format, Chunk: i})
		bad := bytes.Clone(chunk.Chunk)
		bad[len(bad)/2] ^= 1
		if res, _ := dst.ApplySnapshotChunk(ctx, &abcitypes.RequestApplySnapshotChunk{Index: i, Chunk: bad, Sender: "evil"}); res.Result != abcitypes.ResponseApplySnapshotChunk_RETRY {
			t.Fatalf("altered chunk %d: %v", i, res.Result)
		}
		if res, _ := dst.ApplySnapshotChunk(ctx, &abcitypes.RequestApplySnapshotChunk{Index: i, Chunk: chunk.Chunk}); res.Result != abcitypes.ResponseApplySnapshotChunk_ACCEPT {
			t.Fatalf("chunk %d: %v", i, res.Result)
		}
	}
	if got := dst.Meta(); got.Height != meta.Height || !bytes.Equal(got.AppHash, meta.AppHash) || dst.Machine() == nil {
		t.Fatalf("restored head %d %X, want %d %X", got.Height, got.AppHash, meta.Height, meta.AppHash)
	}
	if res, _ := dst.OfferSnapshot(ctx, &abcitypes.RequestOfferSnapshot{Snapshot: snap, AppHash: meta.AppHash}); res.Result != abcitypes.ResponseOfferSnapshot_ABORT {
		t.Fatalf("offer to a non-empty app: %v", res.Result)
	}
}
