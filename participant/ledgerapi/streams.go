package ledgerapi

import (
	"errors"
	"fmt"
	"sync"
)

// ErrInvalidStreamLimits is returned by StreamLimits.Validate and Server.SetStreamLimits.
var ErrInvalidStreamLimits = errors.New("invalid ledger api stream limits")

// StreamLimits bound the concurrently open Ledger API streams (GetUpdates,
// CompletionStream): each holds a goroutine, gRPC buffers and a reader of the
// participant's store until the client cancels.
type StreamLimits struct {
	// MaxStreams bounds the open streams of the server. It is checked after
	// MaxStreamsPerUser and must exceed it, so one user at its cap never takes every slot.
	MaxStreams int
	// MaxStreamsPerUser bounds the open streams of one user. An application needs a few
	// (one GetUpdates and one CompletionStream per running instance); the default of 16
	// times the 16 users it takes to reach the default MaxStreams of 256 is far more than a
	// participant's applications hold when they behave.
	MaxStreamsPerUser int
}

// DefaultStreamLimits returns the production limits: 256 streams, 16 per user.
func DefaultStreamLimits() StreamLimits {
	return StreamLimits{MaxStreams: 256, MaxStreamsPerUser: 16}
}

// Validate returns a *ConfigError (wrapping ErrInvalidStreamLimits) naming the first bad
// field.
func (l StreamLimits) Validate() error {
	bad := func(field, reason string, args ...any) error {
		return &ConfigError{Field: field, Reason: fmt.Sprintf(reason, args...), sentinel: ErrInvalidStreamLimits}
	}
	switch {
	case l.MaxStreams <= 0:
		return bad("max_streams", "must be positive, is %d", l.MaxStreams)
	case l.MaxStreamsPerUser <= 0:
		return bad("max_streams_per_user", "must be positive, is %d", l.MaxStreamsPerUser)
	case l.MaxStreamsPerUser >= l.MaxStreams:
		return bad("max_streams_per_user", "%d must be below max_streams (%d)", l.MaxStreamsPerUser, l.MaxStreams)
	}
	return nil
}

// SetStreamLimits replaces the server's stream limits (DefaultStreamLimits until then).
// Call it before serving; streams already open keep their slots.
func (s *Server) SetStreamLimits(l StreamLimits) error {
	if err := l.Validate(); err != nil {
		return err
	}
	s.streams.setLimits(l)
	return nil
}

// OpenStreams returns the number of open Ledger API streams.
func (s *Server) OpenStreams() int {
	s.streams.mu.Lock()
	defer s.streams.mu.Unlock()
	return s.streams.open
}

// streamSlots counts the open streams, in all and by user.
type streamSlots struct {
	mu      sync.Mutex
	limits  StreamLimits
	open    int
	perUser map[string]int
}

func newStreamSlots(l StreamLimits) *streamSlots {
	return &streamSlots{limits: l, perUser: make(map[string]int)}
}

func (t *streamSlots) setLimits(l StreamLimits) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.limits = l
}

// acquire takes a slot for a stream of user and returns the function that gives it back
// (call it once), or a ResourceExhausted status naming the cap that is reached. The
// user's cap is checked before the server's.
func (t *streamSlots) acquire(user string) (func(), error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := t.perUser[user]; n >= t.limits.MaxStreamsPerUser {
		return nil, statusOf(withMeta(fmt.Errorf("%w: user %s has %d streams open, max_streams_per_user is %d", ErrStreamLimit, user, n, t.limits.MaxStreamsPerUser),
			MetaUserID, user))
	}
	if t.open >= t.limits.MaxStreams {
		return nil, statusOf(fmt.Errorf("%w: %d streams open, max_streams is %d", ErrStreamLimit, t.open, t.limits.MaxStreams))
	}
	t.open++
	t.perUser[user]++
	return sync.OnceFunc(func() { t.release(user) }), nil
}

func (t *streamSlots) release(user string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.open--
	if t.perUser[user]--; t.perUser[user] <= 0 {
		delete(t.perUser, user)
	}
}
