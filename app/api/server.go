package api

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/internal/gogocodec"
	"github.com/cometsync/cometsync/internal/gogoreflect"
	"github.com/cometsync/cometsync/proto/sequencersvc"
)

// ErrServerClosed ends the subscriptions of a closed server.
var ErrServerClosed = errors.New("sequencer api server closed")

// Server implements the three sequencer services over a Backend. It is safe for
// concurrent use; create it with NewServer.
type Server struct {
	backend    Backend
	cfg        Config
	logger     *slog.Logger
	metrics    Metrics
	tokens     *tokenStore
	challenges *challengeStore
	callers    *callerLimits // rate limits of the unauthenticated calls
	acks       *ackStore
	health     *health.Server
	batches    *core.BatchCache // decoded batches shared by the subscriptions
	proofs     *proofCache      // event proofs of recent blocks, for subscriptions with proofs
	rev        revocations      // membership changes on sequencer time; locked before mu

	mu        sync.Mutex
	subs      map[int64]*subscription
	perMember map[string]int // open subscriptions by member, the members of subs
	nextID    int64
	closed    bool
	failed    *NodeFailedError // set by Fail: why the node stopped serving
}

// batchCacheBytes bounds the decoded batches the subscriptions share when the backend
// has no cache of its own: enough for the
// batches of a few full blocks, so that a batch multicast to several members is read
// and decoded once while they follow the head.
const batchCacheBytes = 64 << 20

// NewServer validates cfg and returns a server over backend. A nil logger discards logs.
func NewServer(backend Backend, cfg Config, logger *slog.Logger) (*Server, error) {
	if backend == nil {
		return nil, fmt.Errorf("%w: backend is nil", ErrInvalidConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := cfg.Metrics
	if m == nil {
		m = nopMetrics{}
	}
	batches := backend.Batches()
	if batches == nil {
		batches = core.NewBatchCache(batchCacheBytes)
	}
	return &Server{
		backend:    backend,
		cfg:        cfg,
		logger:     logger,
		metrics:    m,
		tokens:     newTokenStore(cfg.TokenTTL),
		challenges: newChallengeStore(cfg),
		callers:    newCallerLimits(cfg),
		acks:       newAckStore(),
		health:     health.NewServer(),
		batches:    batches,
		proofs:     newProofCache(),
		subs:       make(map[int64]*subscription),
		perMember:  make(map[string]int),
	}, nil
}

// ServerOptions returns the options a grpc.Server needs for this API: the token
// interceptors (unary and stream) and the gogoproto codec (package gogocodec). Pass them
// to grpc.NewServer before Register.
func (s *Server) ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		gogocodec.ServerOption(),
		grpc.ChainUnaryInterceptor(s.UnaryInterceptor),
		grpc.ChainStreamInterceptor(s.StreamInterceptor),
	}
}

// Register registers the connect, authentication and sequencer services, the gRPC health
// service (serving) and server reflection with full descriptors (gogoreflect) on gs. gs
// must have been created with ServerOptions, otherwise SequencerService calls are
// refused as unauthenticated.
func (s *Server) Register(gs *grpc.Server) {
	sequencersvc.RegisterSequencerConnectServiceServer(gs, connectService{s})
	sequencersvc.RegisterSequencerAuthenticationServiceServer(gs, authService{s})
	sequencersvc.RegisterSequencerServiceServer(gs, sequencerService{s})
	sequencersvc.RegisterSequencerProofServiceServer(gs, proofService{s})
	healthpb.RegisterHealthServer(gs, s.health)
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	for _, name := range []string{
		"cometsync.sequencer.v1.SequencerConnectService",
		"cometsync.sequencer.v1.SequencerAuthenticationService",
		"cometsync.sequencer.v1.SequencerService",
		"cometsync.sequencer.v1.SequencerProofService",
	} {
		s.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	gogoreflect.Register(gs)
}

// Close marks the server not serving, ends every open subscription with
// codes.Unavailable and refuses new ones. Call it before stopping the grpc.Server so that
// streams end promptly.
func (s *Server) Close() {
	s.health.Shutdown()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.CloseSubscriptions(ErrServerClosed)
}

// CloseSubscriptions ends every open subscription with codes.Unavailable carrying cause;
// clients resume from their next counter. New subscriptions are still accepted.
func (s *Server) CloseSubscriptions(cause error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, sub := range s.subs {
		sub.cancel(cause)
		s.removeSubLocked(id)
	}
}

// Subscribers returns the number of open subscriptions.
func (s *Server) Subscribers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}
