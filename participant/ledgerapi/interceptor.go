package ledgerapi

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// MetadataAuthorization is the gRPC metadata key of the bearer token.
const MetadataAuthorization = "authorization"

// servicePrefix is the method prefix of the Ledger API services; other services on the
// same grpc.Server (health, reflection) are open.
const servicePrefix = "/cometsync.ledger.v1."

// UnaryInterceptor authenticates unary Ledger API calls and passes the caller to the
// handler; calls of other services pass unchanged.
func (s *Server) UnaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if !strings.HasPrefix(info.FullMethod, servicePrefix) {
		return handler(ctx, req)
	}
	ctx, err := s.authenticate(ctx)
	if err != nil {
		s.logger.Debug("ledger api call refused", "method", info.FullMethod, "err", err)
		return nil, statusOf(err)
	}
	return handler(ctx, req)
}

// StreamInterceptor authenticates streaming Ledger API calls when the stream opens (an
// open stream outlives its token) and holds one of the caller's stream slots while the
// stream is open: over StreamLimits the stream is refused with ResourceExhausted.
func (s *Server) StreamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if !strings.HasPrefix(info.FullMethod, servicePrefix) {
		return handler(srv, ss)
	}
	ctx, err := s.authenticate(ss.Context())
	if err != nil {
		s.logger.Debug("ledger api stream refused", "method", info.FullMethod, "err", err)
		return statusOf(err)
	}
	c, _ := callerOf(ctx)
	release, err := s.streams.acquire(c.user.ID)
	if err != nil {
		s.logger.Debug("ledger api stream refused", "method", info.FullMethod, "user", c.user.ID, "err", err)
		return err
	}
	defer release()
	return handler(srv, &authedStream{ServerStream: ss, ctx: ctx})
}

// authenticate verifies the bearer token and loads its user and rights.
func (s *Server) authenticate(ctx context.Context) (context.Context, error) {
	token, err := bearerToken(ctx)
	if err != nil {
		return nil, err
	}
	id, err := s.auth.Verify(token)
	if err != nil {
		return nil, err
	}
	rec, err := s.users.load(id)
	if errors.Is(err, ErrUserNotFound) {
		return nil, fmt.Errorf("%w: the token's user %q is unknown", ErrInvalidToken, id)
	}
	if err != nil {
		return nil, err
	}
	if rec.User.Deactivated {
		return nil, fmt.Errorf("%w: %s", ErrUserDeactivated, id)
	}
	return withCaller(ctx, &caller{user: rec.User, rights: rec.Rights}), nil
}

func bearerToken(ctx context.Context) (string, error) {
	vals := metadata.ValueFromIncomingContext(ctx, MetadataAuthorization)
	if len(vals) == 0 {
		return "", fmt.Errorf("%w: no %q metadata", ErrMissingToken, MetadataAuthorization)
	}
	scheme, token, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", fmt.Errorf("%w: %q metadata is not \"Bearer <jwt>\"", ErrMissingToken, MetadataAuthorization)
	}
	return strings.TrimSpace(token), nil
}

type authedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (a *authedStream) Context() context.Context { return a.ctx }
