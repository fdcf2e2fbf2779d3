package api

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidConfig is returned by Config.Validate and NewServer for unusable settings.
var ErrInvalidConfig = errors.New("invalid api config")

// ConfigError names the Config field that is invalid, as its key is written in snake_case
// (token_ttl, max_subscribers, ...; the keys of cometsync.toml where it has them).
type ConfigError struct {
	Field, Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%v: %s: %s", ErrInvalidConfig, e.Field, e.Reason)
}

// Unwrap returns ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

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

// Validate returns a *ConfigError naming the first bad field.
func (c Config) Validate() error {
	switch {
	case c.TokenTTL <= 0:
		return &ConfigError{"token_ttl", fmt.Sprintf("must be positive, is %v", c.TokenTTL)}
	case c.ChallengeTTL <= 0:
		return &ConfigError{"challenge_ttl", fmt.Sprintf("must be positive, is %v", c.ChallengeTTL)}
	case c.MaxPendingChallenges <= 0:
		return &ConfigError{"max_pending_challenges", fmt.Sprintf("must be positive, is %d", c.MaxPendingChallenges)}
	case c.MaxChallengesPerMember <= 0:
		return &ConfigError{"max_challenges_per_member", fmt.Sprintf("must be positive, is %d", c.MaxChallengesPerMember)}
	case c.MaxChallengesPerCaller <= 0:
		return &ConfigError{"max_challenges_per_caller", fmt.Sprintf("must be positive, is %d", c.MaxChallengesPerCaller)}
	case !(c.UnauthenticatedRate > 0):
		return &ConfigError{"unauthenticated_rate", fmt.Sprintf("must be positive, is %g", c.UnauthenticatedRate)}
	case c.UnauthenticatedBurst <= 0:
		return &ConfigError{"unauthenticated_burst", fmt.Sprintf("must be positive, is %d", c.UnauthenticatedBurst)}
	case c.MaxCallers <= 0:
		return &ConfigError{"max_callers", fmt.Sprintf("must be positive, is %d", c.MaxCallers)}
	case c.MaxSubscribers <= 0:
		return &ConfigError{"max_subscribers", fmt.Sprintf("must be positive, is %d", c.MaxSubscribers)}
	case c.MaxSubscribersPerMember <= 0:
		return &ConfigError{"max_subscribers_per_member", fmt.Sprintf("must be positive, is %d", c.MaxSubscribersPerMember)}
	case c.MaxSubscribersPerMember >= c.MaxSubscribers:
		return &ConfigError{"max_subscribers_per_member", fmt.Sprintf("%d must be below max_subscribers (%d)", c.MaxSubscribersPerMember, c.MaxSubscribers)}
	case c.SubscribeBatch <= 0:
		return &ConfigError{"subscribe_batch", fmt.Sprintf("must be positive, is %d", c.SubscribeBatch)}
	}
	return nil
}

func (c Config) now() time.Time {
	if c.Clock != nil {
		return c.Clock()
	}
	return time.Now()
}
