package abci_test

import (
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/cometsync/cometsync/abci"
	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// signedApp is an initialized application with one member, alice, whose key signs.
func signedApp(t *testing.T) (*abci.App, func(msgID string) []byte) {
	t.Helper()
	app := openApp(t)
	g, alice, k := aliceGenesis()
	if _, err := app.InitChain(t.Context(), &abcitypes.RequestInitChain{AppStateBytes: g.Canonical()}); err != nil {
		t.Fatal(err)
	}
	sign := func(msgID string) []byte {
		req := &pb.SubmissionRequest{
			Sender: alice.String(), MessageId: msgID,
			Batch:                   &pb.Batch{Envelopes: []*pb.Envelope{{Recipients: []*pb.Recipient{{Member: alice.String()}}, Content: []byte(msgID)}}},
			MaxSequencingTimeMicros: time.Now().Add(time.Minute).UnixMicro(),
		}
		rb, _ := req.Marshal()
		tx, _ := (&pb.SignedSubmission{Request: rb, Signature: k.Sign(crypto.PurposeSubmissionRequest, rb), SigningKey: string(k.Fingerprint())}).Marshal()
		return tx
	}
	return app, sign
}

func checkTx(t *testing.T, app *abci.App, tx []byte) uint32 {
	t.Helper()
	res, err := app.CheckTx(t.Context(), &abcitypes.RequestCheckTx{Tx: tx})
	if err != nil {
		t.Fatal(err)
	}
	return res.Code
}

// TestCheckTxTakesTheDecodedSubmission checks the hand-off from the node's API to
// CheckTx: while registered, the decoded form is what CheckTx checks (shown here by
// registering a valid submission's decoded form under other bytes, which no caller may
// do), it is used once, and once released CheckTx decodes the bytes themselves again.
func TestCheckTxTakesTheDecodedSubmission(t *testing.T) {
	app, sign := signedApp(t)
	valid := sign("m1")
	sub, rej := core.DecodeSubmission(valid)
	if rej != nil {
		t.Fatal(rej)
	}
	junk := []byte{0xff, 0x01}
	if code := checkTx(t, app, junk); code != uint32(seqapi.CodeMalformed) {
		t.Fatalf("junk checked with code %d, want malformed", code)
	}
	done := app.Decoded(junk, sub)
	if code := checkTx(t, app, junk); code != 0 {
		t.Fatalf("with the decoded form handed over, code %d, want it checked as the valid submission", code)
	}
	if code := checkTx(t, app, junk); code != uint32(seqapi.CodeMalformed) {
		t.Fatalf("second CheckTx got code %d: the decoded form must serve one call", code)
	}
	done()
	app.Decoded(junk, sub)()
	if code := checkTx(t, app, junk); code != uint32(seqapi.CodeMalformed) {
		t.Fatalf("after release, code %d, want malformed", code)
	}
	if code := checkTx(t, app, valid); code != 0 {
		t.Fatalf("valid submission checked with code %d", code)
	}
}

// TestCommitCachesTheBlockBatches checks that after Commit the subscriptions' cache holds
// the block's batches as stored.
func TestCommitCachesTheBlockBatches(t *testing.T) {
	app, sign := signedApp(t)
	txs := [][]byte{sign("a"), sign("b"), sign("c")}
	if _, err := app.FinalizeBlock(t.Context(), &abcitypes.RequestFinalizeBlock{Height: 1, Time: time.Now(), Txs: txs}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Commit(t.Context(), &abcitypes.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	r, release := app.Snapshot()
	defer release()
	var members []string
	for _, m := range app.Machine().Genesis().Members {
		members = append(members, m.ID)
	}
	fromStore, err := core.ReadEvents(r, members[0], 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	noBatches := batchlessReader{r}
	fromCache, err := core.ReadEventsCached(noBatches, app.Batches(), members[0], 0, 100)
	if err != nil {
		t.Fatalf("reading with the committed batches cached: %v", err)
	}
	if len(fromStore) != 3 || len(fromCache) != len(fromStore) { // alice sends to herself: one event each
		t.Fatalf("%d events from the store, %d with the cache, want 3", len(fromStore), len(fromCache))
	}
	for i := range fromStore {
		a, _ := fromStore[i].Marshal()
		b, _ := fromCache[i].Marshal()
		if string(a) != string(b) {
			t.Fatalf("event %d differs", i)
		}
	}
}

// batchlessReader fails every read of a stored batch.
type batchlessReader struct{ core.Reader }

func (r batchlessReader) Get(key []byte) ([]byte, error) {
	if len(key) > 0 && key[0] == core.KeyBatch(0)[0] {
		return nil, core.ErrNotFound
	}
	return r.Reader.Get(key)
}
