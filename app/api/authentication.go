package api

import (
	"context"
	"errors"
	"time"

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
	fp := crypto.Fingerprint(req.KeyFingerprint)
	tok, exp, err := a.s.issueToken(req.Member, fp, func(key crypto.SigningPublicKey) error {
		return key.VerifyHash(AuthenticationHash(req.Nonce, a.s.backend.SynchronizerID()), req.Signature)
	}, now)
	if err != nil {
		return nil, err
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

// issueToken checks that fp is a current signing key of member (at the head of the
// committed topology), that verify accepts it, and issues a token recording fp. It holds
// the revocations' lock, so a membership change is either applied before (and the key
// is no longer current) or after (and revokes the new token).
func (s *Server) issueToken(member string, fp crypto.Fingerprint, verify func(crypto.SigningPublicKey) error, now time.Time) (string, time.Time, error) {
	s.rev.mu.Lock()
	defer s.rev.mu.Unlock()
	s.refreshLocked()
	key, ok := s.backend.Machine().Membership().SigningKey(member, fp)
	if !ok {
		return "", time.Time{}, status.Errorf(codes.Unauthenticated, "key %q is not a current signing key of %s", fp, member)
	}
	if err := verify(key); err != nil {
		return "", time.Time{}, status.Errorf(codes.Unauthenticated, "authentication of %s: %v", member, err)
	}
	tok, exp, err := s.tokens.issue(member, fp, now)
	if err != nil {
		return "", time.Time{}, status.Error(codes.Internal, err.Error())
	}
	return tok, exp, nil
}
