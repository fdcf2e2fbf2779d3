package api

import (
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Challenge failures.
var (
	ErrUnknownNonce      = errors.New("unknown or already used nonce")
	ErrNonceExpired      = errors.New("nonce expired")
	ErrNonceMember       = errors.New("nonce was issued to another member")
	ErrTooManyChallenges = errors.New("too many pending challenges")
)

// challengeStore remembers issued nonces until they are answered or expire. A nonce is
// consumed by its first answer, right or wrong.
type challengeStore struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	pending map[string]challenge
}

type challenge struct {
	member  string
	expires time.Time
}

func newChallengeStore(ttl time.Duration, max int) *challengeStore {
	return &challengeStore{ttl: ttl, max: max, pending: make(map[string]challenge)}
}

// issue returns a fresh random nonce for member.
func (s *challengeStore) issue(member string, now time.Time) ([]byte, error) {
	nonce := make([]byte, NonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) >= s.max {
		s.sweepLocked(now)
	}
	if len(s.pending) >= s.max {
		return nil, fmt.Errorf("%w: %d", ErrTooManyChallenges, len(s.pending))
	}
	s.pending[string(nonce)] = challenge{member: member, expires: now.Add(s.ttl)}
	return nonce, nil
}

// consume removes the nonce and checks that it was issued to member and is current.
func (s *challengeStore) consume(nonce []byte, member string, now time.Time) error {
	s.mu.Lock()
	c, ok := s.pending[string(nonce)]
	delete(s.pending, string(nonce))
	s.mu.Unlock()
	switch {
	case !ok:
		return ErrUnknownNonce
	case !now.Before(c.expires):
		return ErrNonceExpired
	case c.member != member:
		return ErrNonceMember
	}
	return nil
}

func (s *challengeStore) sweepLocked(now time.Time) {
	for n, c := range s.pending {
		if !now.Before(c.expires) {
			delete(s.pending, n)
		}
	}
}
