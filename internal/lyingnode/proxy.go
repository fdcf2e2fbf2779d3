package lyingnode

import (
	"context"
	"net"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/internal/gogocodec"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/proto/sequencersvc"
)

// Lie says what the node alters; the zero Lie forwards everything unchanged. Counters
// are those of the caller's stream; 0 means "not this lie" for every field but the
// Has* ones.
type Lie struct {
	// AlterCounter: flip one byte of the first envelope's content of this event (its
	// sender when it has no envelope).
	AlterCounter int64
	HasAlter     bool
	// DropCounter: leave this event out and renumber the ones after it.
	DropCounter int64
	HasDrop     bool
	// SwapCounter: serve events SwapCounter and SwapCounter+1 in each other's place
	// (each keeps the counter of its position).
	SwapCounter int64
	HasSwap     bool
	// WithholdFrom: serve no event from this counter on (the stream stays open).
	WithholdFrom int64
	HasWithhold  bool
	// OtherMember, with OtherKey, serves that member's stream to the caller: the node
	// authenticates as it upstream.
	OtherMember string
	OtherKey    crypto.SigningPrivateKey
	// ForgeHeadersFrom: change the app hash of every light block from this height on
	// (without re-signing: the commit no longer matches).
	ForgeHeadersFrom int64
	// ForkHeadersFrom: serve, from this height on, light blocks of a fork: the header
	// with another app hash, re-signed by a validator key not in the chain's set.
	ForkHeadersFrom int64
	// ClaimPrunedBelow: answer light blocks below this height as pruned (BLOCKS_PRUNED,
	// earliest height ClaimPrunedBelow), as a node whose block store was pruned does.
	ClaimPrunedBelow int64
}

// Node is a running lying proxy.
type Node struct {
	upstream *grpc.ClientConn
	lis      net.Listener
	srv      *grpc.Server
	up       upstreams

	mu  sync.Mutex
	lie Lie
	// forker re-signs fork headers; made at the first fork.
	forker *forker
}

type upstreams struct {
	connect sequencersvc.SequencerConnectServiceClient
	auth    sequencersvc.SequencerAuthenticationServiceClient
	seq     sequencersvc.SequencerServiceClient
	proofs  sequencersvc.SequencerProofServiceClient
}

// Start runs a lying proxy of the sequencer API at upstream on a free loopback port,
// stopped when the test ends.
func Start(t testing.TB, upstream string, lie Lie) *Node {
	t.Helper()
	conn, err := grpc.NewClient(upstream, gogocodec.DialOption(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{upstream: conn, lis: lis, srv: grpc.NewServer(gogocodec.ServerOption()), lie: lie, up: upstreams{
		connect: sequencersvc.NewSequencerConnectServiceClient(conn),
		auth:    sequencersvc.NewSequencerAuthenticationServiceClient(conn),
		seq:     sequencersvc.NewSequencerServiceClient(conn),
		proofs:  sequencersvc.NewSequencerProofServiceClient(conn),
	}}
	sequencersvc.RegisterSequencerConnectServiceServer(n.srv, &connectSvc{n: n})
	sequencersvc.RegisterSequencerAuthenticationServiceServer(n.srv, &authSvc{n: n})
	sequencersvc.RegisterSequencerServiceServer(n.srv, &seqSvc{n: n})
	sequencersvc.RegisterSequencerProofServiceServer(n.srv, &proofSvc{n: n})
	go func() { _ = n.srv.Serve(lis) }()
	t.Cleanup(func() {
		n.srv.Stop()
		_ = conn.Close()
	})
	return n
}

// Addr is the proxy's sequencer API address.
func (n *Node) Addr() string { return n.lis.Addr().String() }

// SetLie replaces the lie (for streams and calls that start afterwards).
func (n *Node) SetLie(l Lie) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lie = l
}

func (n *Node) currentLie() Lie {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.lie
}

// forward returns ctx with the caller's metadata (its credentials) as outgoing metadata.
func forward(ctx context.Context) context.Context {
	md, _ := metadata.FromIncomingContext(ctx)
	return metadata.NewOutgoingContext(ctx, md.Copy())
}

type connectSvc struct{ n *Node }

func (s *connectSvc) Handshake(ctx context.Context, r *pb.HandshakeRequest) (*pb.HandshakeResponse, error) {
	return s.n.up.connect.Handshake(forward(ctx), r)
}

func (s *connectSvc) GetSynchronizerId(ctx context.Context, r *pb.GetSynchronizerIdRequest) (*pb.GetSynchronizerIdResponse, error) {
	return s.n.up.connect.GetSynchronizerId(forward(ctx), r)
}

func (s *connectSvc) GetSynchronizerParameters(ctx context.Context, r *pb.GetSynchronizerParametersRequest) (*pb.GetSynchronizerParametersResponse, error) {
	return s.n.up.connect.GetSynchronizerParameters(forward(ctx), r)
}

type authSvc struct{ n *Node }

func (s *authSvc) Challenge(ctx context.Context, r *pb.ChallengeRequest) (*pb.ChallengeResponse, error) {
	return s.n.up.auth.Challenge(forward(ctx), r)
}

func (s *authSvc) Authenticate(ctx context.Context, r *pb.AuthenticateRequest) (*pb.AuthenticateResponse, error) {
	return s.n.up.auth.Authenticate(forward(ctx), r)
}
