package api

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// authService implements SequencerAuthenticationService; it needs no token.
type authService struct{ s *Server }

// Challenge issues a single-use nonce for member. It answers alike whether or not
// member is on the synchronizer (a nonce, and no key fingerprints), so that an
// unauthenticated caller cannot use it to learn who is a member; Authenticate then
// refuses an unknown member exactly as a wrong key.
func (a authService) Challenge(ctx context.Context, req *pb.ChallengeRequest) (*pb.ChallengeResponse, error) {
	if err := a.s.checkMember(req.Member); err != nil {
		return nil, err
	}
	nonce, err := a.s.challenges.issue(req.Member, callerKey(ctx), a.s.cfg.now())
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &pb.ChallengeResponse{Nonce: nonce}, nil
}

// Authenticate checks the answer to a challenge and issues a token. Every refusal of
// the signature (unknown member, a key that is not one of the member's current signing
// keys, a signature that does not verify) is the same Unauthenticated status with
// ErrorInfo reason ReasonSignatureRefused; a refused nonce has ReasonNonceRefused.
func (a authService) Authenticate(_ context.Context, req *pb.AuthenticateRequest) (*pb.AuthenticateResponse, error) {
	if err := a.s.checkMember(req.Member); err != nil {
		return nil, err
	}
	now := a.s.cfg.now()
	if err := a.s.challenges.consume(req.Nonce, req.Member, now); err != nil {
		return nil, authStatus(seqapi.ReasonNonceRefused, "challenge of %s: %v", req.Member, err)
	}
	fp := crypto.Fingerprint(req.KeyFingerprint)
	tok, exp, err := a.s.issueToken(req.Member, fp, func(key crypto.SigningPublicKey) error {
		return key.VerifyHash(seqapi.AuthenticationHash(req.Nonce, a.s.backend.SynchronizerID()), req.Signature)
	}, now)
	if err != nil {
		a.s.logger.Debug("authentication refused", "member", req.Member, "key", fp.Short(), "err", err)
		if errors.Is(err, errSignatureRefused) {
			return nil, authStatus(seqapi.ReasonSignatureRefused, "authentication of %s refused: the request is not signed by a current signing key of the member", req.Member)
		}
		return nil, status.Error(codes.Internal, err.Error())
	}
	a.s.logger.Debug("member authenticated", "member", req.Member, "key", fp.Short(), "expires", exp)
	return &pb.AuthenticateResponse{Token: tok, ExpiresAtMicros: exp.UnixMicro()}, nil
}

// checkMember returns a status error for a malformed member id (InvalidArgument) or
// when the sequencer has no state yet (Unavailable); it does not say whether member
// is on the synchronizer.
func (s *Server) checkMember(member string) error {
	if _, err := crypto.ParseMember(member); err != nil {
		return status.Errorf(codes.InvalidArgument, "member: %v", err)
	}
	if s.backend.Machine() == nil {
		return status.Error(codes.Unavailable, "sequencer is not initialized")
	}
	return nil
}

// errSignatureRefused: issueToken found no current signing key fp of member, or verify
// refused the signature.
var errSignatureRefused = errors.New("signature refused")

// issueToken checks that fp is a current signing key of member (at the head of the
// committed topology), that verify accepts it, and issues a token recording fp; a
// refusal wraps errSignatureRefused. It holds
// the revocations' lock, so a membership change is either applied before (and the key
// is no longer current) or after (and revokes the new token).
func (s *Server) issueToken(member string, fp crypto.Fingerprint, verify func(crypto.SigningPublicKey) error, now time.Time) (string, time.Time, error) {
	s.rev.mu.Lock()
	defer s.rev.mu.Unlock()
	s.refreshLocked()
	key, ok := s.backend.Machine().Membership().SigningKey(member, fp)
	if !ok {
		return "", time.Time{}, fmt.Errorf("%w: key %q is not a current signing key of %s", errSignatureRefused, fp, member)
	}
	if err := verify(key); err != nil {
		return "", time.Time{}, fmt.Errorf("%w: %v", errSignatureRefused, err)
	}
	tok, exp, err := s.tokens.issue(member, fp, now)
	if err != nil {
		return "", time.Time{}, err
	}
	return tok, exp, nil
}
