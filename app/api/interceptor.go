package api

import (
	"context"
	"errors"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/seqapi"
)

// protectedPrefix is the method prefix of the service that needs a token.
const protectedPrefix = "/cometsync.sequencer.v1.SequencerService/"

// authPrefix is the method prefix of the authentication service, whose calls are
// rate-limited per caller.
const authPrefix = "/cometsync.sequencer.v1.SequencerAuthenticationService/"

// UnaryInterceptor authenticates unary SequencerService calls and rate-limits the calls
// that need no token (authentication, Send without a token) per caller; other
// services pass.
func (s *Server) UnaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if strings.HasPrefix(info.FullMethod, authPrefix) {
		if err := s.limitUnauthenticated(ctx, info.FullMethod[len(authPrefix):]); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
	if !strings.HasPrefix(info.FullMethod, protectedPrefix) {
		return handler(ctx, req)
	}
	if _, token := credentials(ctx); token == "" && info.FullMethod == sendMethod {
		if err := s.limitUnauthenticated(ctx, "Send"); err != nil {
			s.metrics.SubmissionRejected("rate_limited")
			return nil, err
		}
		return handler(ctx, req) // Send decides whether an unauthenticated onboarding request is allowed
	}
	ctx, err := s.authenticateCall(ctx)
	if err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

const sendMethod = protectedPrefix + "Send"

// StreamInterceptor authenticates streaming SequencerService calls; other services pass.
// The token is checked when the stream opens; an open stream outlives the token's expiry
// but not a membership change that takes out its member or the key the token was issued
// against: the server cuts it when the change takes effect (see revocations).
func (s *Server) StreamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if !strings.HasPrefix(info.FullMethod, protectedPrefix) {
		return handler(srv, ss)
	}
	ctx, err := s.authenticateCall(ss.Context())
	if err != nil {
		return err
	}
	return handler(srv, &authedStream{ServerStream: ss, ctx: ctx})
}

func (s *Server) authenticateCall(ctx context.Context) (context.Context, error) {
	member, token := credentials(ctx)
	if token == "" {
		return nil, status.Error(codes.Unauthenticated, ErrMissingToken.Error())
	}
	if member == "" {
		return nil, status.Errorf(codes.Unauthenticated, "missing %q metadata", seqapi.MetadataMember)
	}
	s.refresh() // revokes the tokens of the membership changes that took effect
	key, err := s.tokens.check(token, member, s.cfg.now())
	if err != nil {
		return nil, tokenStatus(err)
	}
	ctx = context.WithValue(ctx, memberKey{}, member)
	return context.WithValue(ctx, credentialsKey{}, authCredentials{member: member, key: key, token: token}), nil
}

type authedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (a *authedStream) Context() context.Context { return a.ctx }

// tokenStatus is the Unauthenticated status of a refused token; a revoked one names the
// membership change.
func tokenStatus(err error) error {
	var revoked *RevokedError
	if errors.As(err, &revoked) {
		return status.Errorf(codes.Unauthenticated, "token revoked: %v", revoked)
	}
	return status.Error(codes.Unauthenticated, err.Error())
}
