package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cometsync/cometsync/app/api"
	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/testnet"
)

// rawSender sends pre-signed submissions with plain gRPC stubs. The receipts are not
// followed: completion is measured at the recipients.
type rawSender struct {
	conn   *grpc.ClientConn
	seq    pb.SequencerServiceClient
	member testnet.Member
	ctx    context.Context

	mu  sync.Mutex
	txs map[uint64][]byte
}

func newRawSender(ctx context.Context, addr string, m testnet.Member) (*rawSender, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	syncID, err := pb.NewSequencerConnectServiceClient(conn).GetSynchronizerId(ctx, &pb.GetSynchronizerIdRequest{})
	if err != nil {
		conn.Close()
		return nil, err
	}
	auth := pb.NewSequencerAuthenticationServiceClient(conn)
	ch, err := auth.Challenge(ctx, &pb.ChallengeRequest{Member: m.ID})
	if err != nil {
		conn.Close()
		return nil, err
	}
	sig := m.Key.SignHash(api.AuthenticationHash(ch.Nonce, syncID.SynchronizerId))
	tok, err := auth.Authenticate(ctx, &pb.AuthenticateRequest{Member: m.ID, Nonce: ch.Nonce, Signature: sig, KeyFingerprint: string(m.Key.Fingerprint())})
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &rawSender{
		conn: conn, seq: pb.NewSequencerServiceClient(conn), member: m,
		ctx: api.WithCredentials(ctx, m.ID, tok.Token), txs: make(map[uint64][]byte),
	}, nil
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

func (r *rawSender) send(_ context.Context, seq uint64) error {
	r.mu.Lock()
	tx, ok := r.txs[seq]
	delete(r.txs, seq)
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("submission %d was not pre-signed (raise the presign budget)", seq)
	}
	_, err := r.seq.Send(r.ctx, &pb.SendRequest{Submission: tx})
	return err
}

func (r *rawSender) close() { r.conn.Close() }
