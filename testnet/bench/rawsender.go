package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/testnet"
)

// rawSender sends pre-signed submissions through a driver client (SubmitSigned: batched
// with whatever else is waiting, like Send). The receipts are not followed: completion is
// measured at the recipients.
type rawSender struct {
	client *driver.Client
	member testnet.Member

	mu  sync.Mutex
	txs map[uint64][]byte
}

func newRawSender(ctx context.Context, addr string, m testnet.Member) (*rawSender, error) {
	cfg := driver.DefaultConfig()
	cfg.Endpoints = []string{addr}
	cfg.Member, cfg.SigningKey = m.ID, m.Key
	c, err := driver.New(cfg, nil)
	if err != nil {
		return nil, err
	}
	if err := c.Connect(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return &rawSender{client: c, member: m, txs: make(map[uint64][]byte)}, nil
}

// presign signs submissions from+1 .. from+n with batches built by batch.
func (r *rawSender) presign(from uint64, n int, batch func(seq uint64) *pb.Batch) {
	maxSeq := time.Now().Add(5 * time.Minute).UnixMicro()
	txs := make(map[uint64][]byte, n)
	for seq := from + 1; seq <= from+uint64(n); seq++ {
		req := &pb.SubmissionRequest{Sender: r.member.ID, MessageId: fmt.Sprintf("b%d", seq), Batch: batch(seq), MaxSequencingTimeMicros: maxSeq}
		rb, err := req.Marshal()
		if err != nil {
			panic(err)
		}
		signed := &pb.SignedSubmission{Request: rb, Signature: r.member.Key.Sign(crypto.PurposeSubmissionRequest, rb), SigningKey: string(r.member.Key.Fingerprint())}
		txs[seq], _ = signed.Marshal()
	}
	r.mu.Lock()
	r.txs = txs
	r.mu.Unlock()
}

func (r *rawSender) send(ctx context.Context, seq uint64) error {
	r.mu.Lock()
	tx, ok := r.txs[seq]
	delete(r.txs, seq)
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("submission %d was not pre-signed (raise the presign budget)", seq)
	}
	return r.client.SubmitSigned(ctx, tx)
}

func (r *rawSender) close() { r.client.Close() }
