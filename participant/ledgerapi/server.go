package ledgerapi

import (
	"context"
	"errors"
	"log/slog"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/cometsync/cometsync/internal/gogoreflect"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// ServiceNames are the full names of the Ledger API services.
var ServiceNames = []string{
	"cometsync.ledger.v1.CommandService",
	"cometsync.ledger.v1.CommandSubmissionService",
	"cometsync.ledger.v1.CommandCompletionService",
	"cometsync.ledger.v1.StateService",
	"cometsync.ledger.v1.UpdateService",
	"cometsync.ledger.v1.PartyManagementService",
	"cometsync.ledger.v1.UserManagementService",
	"cometsync.ledger.v1.PackageService",
	"cometsync.ledger.v1.VersionService",
	"cometsync.ledger.v1.CommitmentService",
	"cometsync.ledger.v1.SnapshotService",
}

// Server implements the Ledger API services over a Backend, authenticating calls by JWT
// (Auth) and authorizing them by the rights in Users. It is safe for concurrent use.
type Server struct {
	backend Backend
	users   *Users
	auth    Auth
	logger  *slog.Logger
	health  *health.Server
	streams *streamSlots // open streams, bounded by StreamLimits
	version Version      // what GetLedgerApiVersion answers: BinaryVersion
	extra   []grpc.ServerOption
}

// SetServerOptions adds opts (transport credentials, for TLS) to those ServerOptions
// returns. Call it before Serve.
func (s *Server) SetServerOptions(opts ...grpc.ServerOption) { s.extra = opts }

// New returns a server over backend with DefaultStreamLimits (see SetStreamLimits). auth
// should pass Auth.Validate (check it first to fail at start): with an invalid auth every
// call is refused as unauthenticated. A nil logger discards logs.
func New(backend Backend, users *Users, auth Auth, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := auth.Validate(); err != nil {
		logger.Error("ledger api auth config invalid: every call will be refused", "err", err)
	}
	return &Server{backend: backend, users: users, auth: auth, logger: logger, health: health.NewServer(),
		streams: newStreamSlots(DefaultStreamLimits()), version: BinaryVersion()}
}

// ServerOptions returns the interceptors (unary and stream) a grpc.Server needs for this
// API, and the options of SetServerOptions. Pass them to grpc.NewServer before Register.
func (s *Server) ServerOptions() []grpc.ServerOption {
	return append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(s.UnaryInterceptor),
		grpc.ChainStreamInterceptor(s.StreamInterceptor),
	}, s.extra...)
}

// Register registers the Ledger API services, the gRPC health service (serving) and
// server reflection with full descriptors (gogoreflect) on gs, which must have been
// built with ServerOptions.
func (s *Server) Register(gs *grpc.Server) {
	pb.RegisterCommandServiceServer(gs, commandService{s})
	pb.RegisterCommandSubmissionServiceServer(gs, submissionService{s})
	pb.RegisterCommandCompletionServiceServer(gs, completionService{s})
	pb.RegisterStateServiceServer(gs, stateService{s})
	pb.RegisterUpdateServiceServer(gs, updateService{s})
	pb.RegisterPartyManagementServiceServer(gs, partyService{s})
	pb.RegisterUserManagementServiceServer(gs, userService{s})
	pb.RegisterPackageServiceServer(gs, packageService{s})
	pb.RegisterVersionServiceServer(gs, versionService{s})
	pb.RegisterCommitmentServiceServer(gs, commitmentService{s})
	pb.RegisterSnapshotServiceServer(gs, snapshotService{s})
	healthpb.RegisterHealthServer(gs, s.health)
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	for _, name := range ServiceNames {
		s.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	gogoreflect.Register(gs)
}

// Serve serves the API on lis until ctx ends, then stops the gRPC server (closing open
// update streams) and returns nil; it returns the error of grpc.Server.Serve otherwise.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	gs := grpc.NewServer(s.ServerOptions()...)
	s.Register(gs)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			s.health.Shutdown()
			gs.Stop()
		case <-done:
		}
	}()
	err := gs.Serve(lis)
	if ctx.Err() != nil && (err == nil || errors.Is(err, grpc.ErrServerStopped)) {
		return nil
	}
	return err
}
