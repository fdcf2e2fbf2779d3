package driver_test

import (
	"errors"
	"testing"
	"time"

	"github.com/cometsync/cometsync/app/api/apitest"
	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

// TestSendOnboarding: a newcomer's onboarding batch goes out without a token, signed by
// its key, with the message id and max sequencing time given, and lands in the
// mempool; a batch that does not introduce the sender's key is refused with a
// *SendError.
func TestSendOnboarding(t *testing.T) {
	fx := fixture(t)
	b := backend(t, fx, apitest.Config{})
	srv := serve(t, b, nil)
	k, err := crypto.GenerateSigningKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	carol, err := crypto.NewMember(crypto.KindParticipant, "carol", k.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	cfg := driver.DefaultConfig()
	cfg.Endpoints, cfg.Member, cfg.SigningKey = []string{srv.Addr}, carol.String(), k
	c, err := driver.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	batch := &pb.Batch{Envelopes: []*pb.Envelope{
		topologyEnvelope(t, topology.NewRootCertificate(k.Public()), k),
		topologyEnvelope(t, topology.NewOwnerToKeyMapping(carol, []crypto.SigningPublicKey{k.Public()}), k),
	}}
	maxSeq := time.UnixMicro(time.Now().Add(5 * time.Minute).UnixMicro())
	if err := c.SendOnboarding(ctxT(t), batch, driver.SendOptions{MessageID: "carol-1", MaxSequencingTime: maxSeq}); err != nil {
		t.Fatal(err)
	}
	txs := b.MempoolTxs()
	if len(txs) != 1 {
		t.Fatalf("%d transactions in the mempool, want 1", len(txs))
	}
	var signed pb.SignedSubmission
	var req pb.SubmissionRequest
	if err := signed.Unmarshal(txs[0]); err != nil {
		t.Fatal(err)
	}
	if err := req.Unmarshal(signed.Request); err != nil {
		t.Fatal(err)
	}
	if req.Sender != carol.String() || req.MessageId != "carol-1" || req.MaxSequencingTimeMicros != maxSeq.UnixMicro() ||
		len(req.Batch.GetEnvelopes()) != 2 || signed.SigningKey != k.Fingerprint().String() {
		t.Fatalf("sent %+v signed by %s", &req, signed.SigningKey)
	}

	rootOnly := &pb.Batch{Envelopes: batch.Envelopes[:1]}
	var se *driver.SendError
	if err := c.SendOnboarding(ctxT(t), rootOnly, driver.SendOptions{}); !errors.As(err, &se) {
		t.Fatalf("a batch without the sender's keys: %v, want a *SendError", err)
	}
}

func topologyEnvelope(t *testing.T, m *topopb.TopologyMapping, k crypto.SigningPrivateKey) *pb.Envelope {
	t.Helper()
	tx, err := topology.NewTransaction(topopb.Operation_OPERATION_REPLACE, 1, m)
	if err != nil {
		t.Fatal(err)
	}
	return &pb.Envelope{
		Recipients: []*pb.Recipient{{Group: pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER}},
		Content:    topology.Sign(tx, false, k).Marshal(),
	}
}
