package api

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// authService implements SequencerAuthenticationService; it needs no token.
type authService struct{ s *Server }

// Challenge issues a single-use nonce for a known member.
func (a authService) Challenge(_ context.Context, req *pb.ChallengeRequest) (*pb.ChallengeResponse, error) {
	fps, err := a.s.memberKeys(req.Member)
	if err != nil {
		return nil, err
	}
	nonce, err := a.s.challenges.issue(req.Member, a.s.cfg.now())
	if errors.Is(err, ErrTooManyChallenges) {
		return nil, status.Error(codes.ResourceExhausted, err.Error())
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	resp := &pb.ChallengeResponse{Nonce: nonce}
	for _, fp := range fps {
		resp.ExpectedKeyFingerprints = append(resp.ExpectedKeyFingerprints, fp.String())
	}
	return resp, nil
}

// Authenticate checks the answer to a challenge and issues a token.
func (a authService) Authenticate(_ context.Context, req *pb.AuthenticateRequest) (*pb.AuthenticateResponse, error) {
	if _, err := a.s.memberKeys(req.Member); err != nil {
		return nil, err
	}
	now := a.s.cfg.now()
	if err := a.s.challenges.consume(req.Nonce, req.Member, now); err != nil {
		return nil, status.Errorf(codes.Unauthenticated, "challenge of %s: %v", req.Member, err)
	}
	key, ok := a.s.backend.Machine().Membership().SigningKey(req.Member, crypto.Fingerprint(req.KeyFingerprint))
	if !ok {
		return nil, status.Errorf(codes.Unauthenticated, "key %q is not a current signing key of %s", req.KeyFingerprint, req.Member)
	}
	if err := key.VerifyHash(AuthenticationHash(req.Nonce, a.s.backend.SynchronizerID()), req.Signature); err != nil {
		return nil, status.Errorf(codes.Unauthenticated, "authentication of %s: %v", req.Member, err)
	}
	tok, exp, err := a.s.tokens.issue(req.Member, now)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	a.s.logger.Debug("member authenticated", "member", req.Member, "key", crypto.Fingerprint(req.KeyFingerprint).Short(), "expires", exp)
	return &pb.AuthenticateResponse{Token: tok, ExpiresAtMicros: exp.UnixMicro()}, nil
}

// memberKeys returns the signing key fingerprints of a known member, or a status error:
// InvalidArgument for a malformed id, NotFound for an unknown member.
func (s *Server) memberKeys(member string) ([]crypto.Fingerprint, error) {
	if _, err := crypto.ParseMember(member); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "member: %v", err)
	}
	m := s.backend.Machine()
	if m == nil {
		return nil, status.Error(codes.Unavailable, "sequencer is not initialized")
	}
	mem := m.Membership()
	if !mem.IsMember(member) {
		return nil, status.Errorf(codes.NotFound, "%s is not a member of synchronizer %s", member, s.backend.SynchronizerID())
	}
	fps := mem.SigningKeys(member)
	if len(fps) == 0 {
		return nil, status.Errorf(codes.PermissionDenied, "%s has no current signing key", member)
	}
	return fps, nil
}
