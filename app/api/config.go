package api

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidConfig is returned by Config.Validate and NewServer for unusable settings.
var ErrInvalidConfig = errors.New("invalid api config")

// Config tunes the sequencer API server.
type Config struct {
	// TokenTTL is how long an authentication token stays valid.
	TokenTTL time.Duration
	// ChallengeTTL is how long a challenge nonce may be answered.
	ChallengeTTL time.Duration
	// MaxPendingChallenges bounds the unanswered challenges kept in memory; beyond it a
	// new challenge evicts the oldest.
	MaxPendingChallenges int
	// MaxChallengesPerMember bounds the unanswered challenges of one member: beyond it a
	// new one evicts the oldest of the same caller for that member, or else the
	// member's oldest (see challengeStore).
	MaxChallengesPerMember int
	// MaxChallengesPerCaller bounds the unanswered challenges one caller (see callerKey)
	// asked for: beyond it a new one evicts the caller's oldest.
	MaxChallengesPerCaller int
	// UnauthenticatedRate and UnauthenticatedBurst are the token bucket of each caller
	// for the calls that need no token (Challenge, Authenticate, Send of an onboarding
	// request): calls per second, and the calls allowed at once. Beyond, the call is
	// refused with ResourceExhausted and a RetryInfo detail.
	UnauthenticatedRate  float64
	UnauthenticatedBurst int
	// MaxCallers bounds the callers whose buckets are remembered.
	MaxCallers int
	// MaxSubscribers bounds the concurrently open Subscribe streams of this server. It
	// is checked after MaxSubscribersPerMember and must exceed it, so one member at its
	// cap never takes every slot.
	MaxSubscribers int
	// MaxSubscribersPerMember bounds the concurrently open Subscribe streams of one
	// member. A member needs one stream per running client (a participant or mediator
	// node runs one, a few more while it reconnects); the default of 8 times a hundred
	// members stays below the default MaxSubscribers of 1 000, so the global cap is
	// reached only when most members hold far more streams than they need.
	MaxSubscribersPerMember int
	// SubscribeBatch is how many events one snapshot read fetches for a subscriber.
	SubscribeBatch int
	// Metrics receives the server's measurements; nil means none.
	Metrics Metrics
	// Clock returns the current time; nil means time.Now. Tests inject a fake clock to
	// expire tokens and challenges.
	Clock func() time.Time
}

// DefaultConfig returns the production settings.
func DefaultConfig() Config {
	return Config{
		TokenTTL:                time.Hour,
		ChallengeTTL:            time.Minute,
		MaxPendingChallenges:    10_000,
		MaxChallengesPerMember:  4,
		MaxChallengesPerCaller:  8,
		UnauthenticatedRate:     5,
		UnauthenticatedBurst:    20,
		MaxCallers:              65_536,
		MaxSubscribers:          1_000,
		MaxSubscribersPerMember: 8,
		SubscribeBatch:          256,
	}
}

// TestConfig returns settings for tests: small batches so that batching is exercised,
// and a burst of unauthenticated calls that tests on a fake clock (which never refills
// a bucket) do not use up; tests of the rate limit set their own.
func TestConfig() Config {
	c := DefaultConfig()
	c.SubscribeBatch = 2
	c.MaxSubscribers = 16
	c.MaxSubscribersPerMember = 4
	c.UnauthenticatedBurst = 10_000
	return c
}

// Validate names the first bad field.
func (c Config) Validate() error {
	switch {
	case c.TokenTTL <= 0:
		return fmt.Errorf("%w: token_ttl must be positive, is %v", ErrInvalidConfig, c.TokenTTL)
	case c.ChallengeTTL <= 0:
		return fmt.Errorf("%w: challenge_ttl must be positive, is %v", ErrInvalidConfig, c.ChallengeTTL)
	case c.MaxPendingChallenges <= 0:
		return fmt.Errorf("%w: max_pending_challenges must be positive, is %d", ErrInvalidConfig, c.MaxPendingChallenges)
	case c.MaxChallengesPerMember <= 0:
		return fmt.Errorf("%w: max_challenges_per_member must be positive, is %d", ErrInvalidConfig, c.MaxChallengesPerMember)
	case c.MaxChallengesPerCaller <= 0:
		return fmt.Errorf("%w: max_challenges_per_caller must be positive, is %d", ErrInvalidConfig, c.MaxChallengesPerCaller)
	case !(c.UnauthenticatedRate > 0):
		return fmt.Errorf("%w: unauthenticated_rate must be positive, is %g", ErrInvalidConfig, c.UnauthenticatedRate)
	case c.UnauthenticatedBurst <= 0:
		return fmt.Errorf("%w: unauthenticated_burst must be positive, is %d", ErrInvalidConfig, c.UnauthenticatedBurst)
	case c.MaxCallers <= 0:
		return fmt.Errorf("%w: max_callers must be positive, is %d", ErrInvalidConfig, c.MaxCallers)
	case c.MaxSubscribers <= 0:
		return fmt.Errorf("%w: max_subscribers must be positive, is %d", ErrInvalidConfig, c.MaxSubscribers)
	case c.MaxSubscribersPerMember <= 0:
		return fmt.Errorf("%w: max_subscribers_per_member must be positive, is %d", ErrInvalidConfig, c.MaxSubscribersPerMember)
	case c.MaxSubscribersPerMember >= c.MaxSubscribers:
		return fmt.Errorf("%w: max_subscribers_per_member (%d) must be below max_subscribers (%d)", ErrInvalidConfig, c.MaxSubscribersPerMember, c.MaxSubscribers)
	case c.SubscribeBatch <= 0:
		return fmt.Errorf("%w: subscribe_batch must be positive, is %d", ErrInvalidConfig, c.SubscribeBatch)
	}
	return nil
}

func (c Config) now() time.Time {
	if c.Clock != nil {
		return c.Clock()
	}
	return time.Now()
}
