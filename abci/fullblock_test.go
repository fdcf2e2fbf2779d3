package abci_test

import (
	"fmt"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// TestFullBlocksCommit executes and commits blocks filled to CometBFT's 4 MiB limit with
// the shapes that write the most: many small multicasts, and submissions to every member.
// Every validator runs the same block, so a block the store cannot commit would halt the
// whole chain.
func TestFullBlocksCommit(t *testing.T) {
	const blockBytes = 4 << 20
	app := openApp(t)
	ns, _ := crypto.GenerateSigningKey(nil)
	sender, _ := crypto.GenerateSigningKey(nil)
	senderID, _ := crypto.NewMember(crypto.KindParticipant, "sender", sender.Fingerprint())
	g := &core.Genesis{
		SynchronizerID: "sync::" + string(ns.Fingerprint()), ProtocolVersion: seqapi.ProtocolVersion,
		Parameters: core.DefaultParameters(),
		Members:    []core.GenesisMember{{ID: senderID.String(), SigningKeys: []string{core.EncodeKey(sender.Public())}}},
	}
	var recipients []*pb.Recipient
	for i := range 16 {
		k, _ := crypto.GenerateSigningKey(nil)
		m, _ := crypto.NewMember(crypto.KindParticipant, fmt.Sprintf("r%d", i), k.Fingerprint())
		g.Members = append(g.Members, core.GenesisMember{ID: m.String(), SigningKeys: []string{core.EncodeKey(k.Public())}})
		if i < 4 {
			recipients = append(recipients, &pb.Recipient{Member: m.String()})
		}
	}
	ctx := t.Context()
	if _, err := app.InitChain(ctx, &abcitypes.RequestInitChain{AppStateBytes: g.Canonical()}); err != nil {
		t.Fatal(err)
	}
	start := time.Unix(1_700_000_000, 0)
	shapes := []struct {
		name    string
		payload int
		to      []*pb.Recipient
	}{
		{"256 B to 4 members", 256, recipients},
		{"64 B to all 17 members", 64, []*pb.Recipient{{Group: pb.GroupKind_GROUP_KIND_ALL_MEMBERS}}},
	}
	for h, shape := range shapes {
		height := int64(h + 1)
		var txs [][]byte
		size := 0
		for i := 0; ; i++ {
			req := &pb.SubmissionRequest{
				Sender: senderID.String(), MessageId: fmt.Sprintf("%d-%d", h, i),
				Batch:                   &pb.Batch{Envelopes: []*pb.Envelope{{Recipients: shape.to, Content: make([]byte, shape.payload)}}},
				MaxSequencingTimeMicros: start.Add(5 * time.Minute).UnixMicro(),
			}
			rb, _ := req.Marshal()
			tx, _ := (&pb.SignedSubmission{Request: rb, Signature: sender.Sign(crypto.PurposeSubmissionRequest, rb), SigningKey: string(sender.Fingerprint())}).Marshal()
			if size+len(tx) > blockBytes {
				break
			}
			txs, size = append(txs, tx), size+len(tx)
		}
		res, err := app.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: height, Time: start.Add(time.Duration(height) * time.Second), Txs: txs})
		if err != nil {
			t.Fatalf("%s: FinalizeBlock: %v", shape.name, err)
		}
		for i, r := range res.TxResults {
			if r.Code != 0 {
				t.Fatalf("%s: tx %d refused: %d %s", shape.name, i, r.Code, r.Log)
			}
		}
		if _, err := app.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
			t.Fatalf("%s (%d submissions): Commit: %v", shape.name, len(txs), err)
		}
		if got := app.Meta().Height; got != height {
			t.Fatalf("%s: committed height %d, want %d", shape.name, got, height)
		}
	}
}
