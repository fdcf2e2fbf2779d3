package api_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/app/api"
	"github.com/cometsync/cometsync/app/api/apitest"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/proto/sequencersvc"
	"github.com/cometsync/cometsync/seqapi"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one API server over a test backend, with clients on a loopback connection.
type env struct {
	fx      *apitest.Fixture
	backend *apitest.Backend
	served  *apitest.Served
	clock   *fakeClock
	connect sequencersvc.SequencerConnectServiceClient
	auth    sequencersvc.SequencerAuthenticationServiceClient
	seq     sequencersvc.SequencerServiceClient
	conn    *grpc.ClientConn
}

func newEnv(t *testing.T, mutate func(*api.Config)) *env {
	t.Helper()
	fx, err := apitest.NewFixture("PAR::alice", "PAR::bob", "MED::mediator")
	if err != nil {
		t.Fatal(err)
	}
	b, err := apitest.NewBackend(fx.Genesis, apitest.Config{SequencerID: "SEQ::seq1::" + string(fx.Member("PAR::alice").Key.Fingerprint())})
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	cfg := api.TestConfig()
	cfg.Clock = clock.Now
	if mutate != nil {
		mutate(&cfg)
	}
	served := apitest.StartServer(t, b, cfg, apitest.TestLogger(t))
	conn, err := grpc.NewClient(served.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &env{
		fx: fx, backend: b, served: served, clock: clock, conn: conn,
		connect: sequencersvc.NewSequencerConnectServiceClient(conn),
		auth:    sequencersvc.NewSequencerAuthenticationServiceClient(conn),
		seq:     sequencersvc.NewSequencerServiceClient(conn),
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// login authenticates spec and returns a context carrying its credentials.
func (e *env) login(t *testing.T, spec string) context.Context {
	t.Helper()
	m := e.fx.Member(spec)
	ctx := ctxT(t)
	ch, err := e.auth.Challenge(ctx, &pb.ChallengeRequest{Member: m.ID})
	if err != nil {
		t.Fatalf("challenge: %v", err)
	}
	resp, err := e.auth.Authenticate(ctx, &pb.AuthenticateRequest{
		Member: m.ID, Nonce: ch.Nonce, KeyFingerprint: m.Key.Fingerprint().String(),
		Signature: m.Key.SignHash(seqapi.AuthenticationHash(ch.Nonce, e.backend.SynchronizerID())),
	})
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return seqapi.WithCredentials(ctx, m.ID, resp.Token)
}

func (e *env) commit(t *testing.T) {
	t.Helper()
	if _, err := e.backend.Commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

func wantCode(t *testing.T, err error, code codes.Code, msgPart string) {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != code {
		t.Fatalf("got %v, want code %v", err, code)
	}
	if msgPart != "" && !contains(st.Message(), msgPart) {
		t.Fatalf("message %q does not mention %q", st.Message(), msgPart)
	}
}

func contains(s, sub string) bool {
	return strings.Contains(s, sub)
}

// tokenOf extracts the bearer token from a context made by login.
func tokenOf(t *testing.T, ctx context.Context) string {
	t.Helper()
	md, _ := metadata.FromOutgoingContext(ctx)
	v := md.Get(seqapi.MetadataAuthorization)
	if len(v) == 0 {
		t.Fatal("no token in context")
	}
	return strings.TrimPrefix(v[0], seqapi.BearerPrefix)
}

// metricValue reads a gauge or counter.
func metricValue(c prometheus.Metric) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	if m.Gauge != nil {
		return m.Gauge.GetValue()
	}
	return m.Counter.GetValue()
}
