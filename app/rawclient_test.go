package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/proto/sequencersvc"
	"github.com/cometsync/cometsync/seqapi"
	"github.com/cometsync/cometsync/testnet"
)

// rawClient talks to a node's sequencer API with plain gRPC stubs, so tests can send
// exactly the bytes they want, including bad ones.
type rawClient struct {
	conn   *grpc.ClientConn
	seq    sequencersvc.SequencerServiceClient
	auth   sequencersvc.SequencerAuthenticationServiceClient
	conn2  sequencersvc.SequencerConnectServiceClient
	syncID string
}

func dialRaw(t *testing.T, addr string) *rawClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &rawClient{conn: conn, seq: sequencersvc.NewSequencerServiceClient(conn), auth: sequencersvc.NewSequencerAuthenticationServiceClient(conn), conn2: sequencersvc.NewSequencerConnectServiceClient(conn)}
	res, err := c.conn2.GetSynchronizerId(t.Context(), &pb.GetSynchronizerIdRequest{})
	if err != nil {
		t.Fatal(err)
	}
	c.syncID = res.SynchronizerId
	return c
}

// login authenticates m and returns a context carrying its token.
func (c *rawClient) login(t *testing.T, m testnet.Member) context.Context {
	t.Helper()
	ch, err := c.auth.Challenge(t.Context(), &pb.ChallengeRequest{Member: m.ID})
	if err != nil {
		t.Fatal(err)
	}
	sig := m.Key.SignHash(seqapi.AuthenticationHash(ch.Nonce, c.syncID))
	res, err := c.auth.Authenticate(t.Context(), &pb.AuthenticateRequest{Member: m.ID, Nonce: ch.Nonce, Signature: sig, KeyFingerprint: string(m.Key.Fingerprint())})
	if err != nil {
		t.Fatal(err)
	}
	return seqapi.WithCredentials(t.Context(), m.ID, res.Token)
}

// submission builds a signed submission from sender (signed with key) to recipients.
func submission(sender string, key crypto.SigningPrivateKey, msgID string, maxSeq time.Time, content []byte, recipients ...*pb.Recipient) []byte {
	req := &pb.SubmissionRequest{
		Sender: sender, MessageId: msgID, MaxSequencingTimeMicros: maxSeq.UnixMicro(),
		Batch: &pb.Batch{Envelopes: []*pb.Envelope{{Recipients: recipients, Content: content}}},
	}
	rb, err := req.Marshal()
	if err != nil {
		panic(err)
	}
	s := &pb.SignedSubmission{Request: rb, Signature: key.Sign(crypto.PurposeSubmissionRequest, rb), SigningKey: string(key.Fingerprint())}
	b, err := s.Marshal()
	if err != nil {
		panic(err)
	}
	return b
}

func to(members ...string) []*pb.Recipient {
	out := make([]*pb.Recipient, len(members))
	for i, m := range members {
		out[i] = &pb.Recipient{Member: m}
	}
	return out
}

// readEvents subscribes as member from counter and returns the next n events.
func (c *rawClient) readEvents(t *testing.T, ctx context.Context, member string, from int64, n int) []*pb.SequencedEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	stream, err := c.seq.Subscribe(ctx, &pb.SubscribeRequest{Member: member, FromCounter: from})
	if err != nil {
		t.Fatal(err)
	}
	var out []*pb.SequencedEvent
	for len(out) < n {
		res, err := stream.Recv()
		if err != nil {
			t.Fatalf("subscription of %s after %d of %d events: %v", member, len(out), n, err)
		}
		out = append(out, res.Event)
	}
	return out
}

func describe(ev *pb.SequencedEvent) string {
	return fmt.Sprintf("#%d ts=%d kind=%s msg=%q err=%s %q", ev.Counter, ev.TimestampMicros, ev.Kind, ev.MessageId, ev.ErrorCode, ev.ErrorReason)
}

func apiAuthHash(nonce []byte, syncID string) []byte { return seqapi.AuthenticationHash(nonce, syncID) }

func timeSoon() time.Time { return time.Now().Add(time.Minute) }
