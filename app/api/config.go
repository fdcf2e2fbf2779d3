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
	// MaxPendingChallenges bounds the unanswered challenges kept in memory.
	MaxPendingChallenges int
	// MaxSubscribers bounds the concurrently open Subscribe streams of this server.
	MaxSubscribers int
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
		TokenTTL:             time.Hour,
		ChallengeTTL:         time.Minute,
		MaxPendingChallenges: 10_000,
		MaxSubscribers:       1_000,
		SubscribeBatch:       256,
	}
}

// TestConfig returns settings for tests: small batches so that batching is exercised.
func TestConfig() Config {
	c := DefaultConfig()
	c.SubscribeBatch = 2
	c.MaxSubscribers = 16
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
	case c.MaxSubscribers <= 0:
		return fmt.Errorf("%w: max_subscribers must be positive, is %d", ErrInvalidConfig, c.MaxSubscribers)
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
