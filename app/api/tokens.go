package api

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"sync"
	"time"

	"github.com/cometsync/cometsync/crypto"
)

// Token lookup failures, mapped to codes.Unauthenticated by the interceptors.
var (
	ErrMissingToken = errors.New("missing token")
	ErrTokenExpired = errors.New("token expired")
	ErrUnknownToken = errors.New("unknown token")
	ErrTokenMember  = errors.New("token was issued to another member")
)

// tokenStore keeps the issued tokens, each with the member and the signing key it was
// issued against. An expired token is kept for one more TTL so that its use is reported
// as expired rather than unknown; after that it is swept. A token revoked by a
// membership change (see revocations) is kept the same way and refused with the change.
type tokenStore struct {
	mu        sync.Mutex
	ttl       time.Duration
	tokens    map[string]tokenEntry
	lastSweep time.Time
}

type tokenEntry struct {
	member  string
	key     crypto.Fingerprint
	expires time.Time
	revoked *RevokedError // set when a membership change took the member or key out
}

func newTokenStore(ttl time.Duration) *tokenStore {
	return &tokenStore{ttl: ttl, tokens: make(map[string]tokenEntry)}
}

// issue creates a token for member, authenticated with key, valid until now+ttl.
func (s *tokenStore) issue(member string, key crypto.Fingerprint, now time.Time) (string, time.Time, error) {
	tok, err := randomText(32)
	if err != nil {
		return "", time.Time{}, err
	}
	exp := now.Add(s.ttl)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
	s.tokens[tok] = tokenEntry{member: member, key: key, expires: exp}
	return tok, exp, nil
}

// check verifies that token is current, not revoked and belongs to member, and returns
// the signing key it was issued against. A revoked token fails with its *RevokedError.
func (s *tokenStore) check(token, member string, now time.Time) (crypto.Fingerprint, error) {
	if token == "" {
		return "", ErrMissingToken
	}
	s.mu.Lock()
	e, ok := s.tokens[token]
	s.mu.Unlock()
	switch {
	case !ok:
		return "", ErrUnknownToken
	case !now.Before(e.expires):
		return "", ErrTokenExpired
	case e.member != member:
		return "", ErrTokenMember
	case e.revoked != nil:
		return "", e.revoked
	}
	return e.key, nil
}

// revoke marks the tokens that cut affects as revoked and returns how many. They stay
// until swept, so that their use is refused with the reason.
func (s *tokenStore) revoke(cut *RevokedError) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for tok, e := range s.tokens {
		if e.revoked == nil && cut.affects(e.member, e.key) {
			e.revoked = cut
			s.tokens[tok] = e
			n++
		}
	}
	return n
}

// sweepLocked drops tokens expired for more than one TTL, at most once per TTL/4.
func (s *tokenStore) sweepLocked(now time.Time) {
	if now.Sub(s.lastSweep) < s.ttl/4 {
		return
	}
	s.lastSweep = now
	for tok, e := range s.tokens {
		if now.Sub(e.expires) > s.ttl {
			delete(s.tokens, tok)
		}
	}
}

func randomText(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
