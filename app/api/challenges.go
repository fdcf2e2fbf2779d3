package api

import (
	"container/list"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cometsync/cometsync/seqapi"
)

// Challenge failures.
var (
	ErrUnknownNonce = errors.New("unknown or already used nonce")
	ErrNonceExpired = errors.New("nonce expired")
	ErrNonceMember  = errors.New("nonce was issued to another member")
)

// challengeStore remembers issued nonces until they are answered, expire or are evicted.
// A nonce is consumed by its first answer, right or wrong.
//
// Three bounds keep it small without letting one source lock others out. A new
// challenge never fails for lack of room: it evicts an older one, chosen so that a
// flood only displaces the flooder's own challenges.
//
//   - Per member (maxPerMember): a member beyond its cap loses the oldest challenge
//     the same caller holds for it, or, when that caller holds none, the member's
//     oldest. A flooder that names member X from one address thus only replaces its own
//     challenges for X; X, authenticating from another address, keeps its nonce. A
//     flooder spread over many addresses can still displace X's challenge: X's driver
//     then asks again (ErrUnknownNonce), and has to fit one round trip between
//     maxPerMember of the flooder's challenges for X, which the per-caller rate limit
//     paces.
//   - Per caller (maxPerCaller): a caller beyond its cap loses its own oldest.
//   - Globally (max): beyond it the oldest challenge of all goes.
//
// Rejecting instead of evicting would let a flooder fill a table and keep everyone
// (or member X) out for the challenges' whole lifetime.
type challengeStore struct {
	mu           sync.Mutex
	ttl          time.Duration
	max          int
	maxPerMember int
	maxPerCaller int
	pending      map[string]*challenge // by nonce
	order        *list.List            // of *challenge, oldest first (a constant ttl: expiry order)
	byMember     map[string][]*challenge
	byCaller     map[string][]*challenge
}

type challenge struct {
	nonce   string
	member  string
	caller  string
	expires time.Time
	elem    *list.Element
}

func newChallengeStore(cfg Config) *challengeStore {
	return &challengeStore{
		ttl: cfg.ChallengeTTL, max: cfg.MaxPendingChallenges,
		maxPerMember: cfg.MaxChallengesPerMember, maxPerCaller: cfg.MaxChallengesPerCaller,
		pending: make(map[string]*challenge), order: list.New(),
		byMember: make(map[string][]*challenge), byCaller: make(map[string][]*challenge),
	}
}

// issue returns a fresh random nonce for member, asked for by caller (see callerKey).
func (s *challengeStore) issue(member, caller string, now time.Time) ([]byte, error) {
	nonce := make([]byte, seqapi.NonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
	if cs := s.byMember[member]; len(cs) >= s.maxPerMember {
		s.removeLocked(oldestOf(cs, caller))
	}
	if cs := s.byCaller[caller]; len(cs) >= s.maxPerCaller {
		s.removeLocked(cs[0])
	}
	if s.order.Len() >= s.max {
		s.removeLocked(s.order.Front().Value.(*challenge))
	}
	c := &challenge{nonce: string(nonce), member: member, caller: caller, expires: now.Add(s.ttl)}
	c.elem = s.order.PushBack(c)
	s.pending[c.nonce] = c
	s.byMember[member] = append(s.byMember[member], c)
	s.byCaller[caller] = append(s.byCaller[caller], c)
	return nonce, nil
}

// oldestOf returns the oldest of cs (oldest first) issued to caller, else cs[0].
func oldestOf(cs []*challenge, caller string) *challenge {
	for _, c := range cs {
		if c.caller == caller {
			return c
		}
	}
	return cs[0]
}

// consume removes the nonce and checks that it was issued to member and is current.
func (s *challengeStore) consume(nonce []byte, member string, now time.Time) error {
	s.mu.Lock()
	c, ok := s.pending[string(nonce)]
	if ok {
		s.removeLocked(c)
	}
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

// sweepLocked drops the expired challenges, which are at the front of order.
func (s *challengeStore) sweepLocked(now time.Time) {
	for e := s.order.Front(); e != nil; e = s.order.Front() {
		c := e.Value.(*challenge)
		if now.Before(c.expires) {
			return
		}
		s.removeLocked(c)
	}
}

func (s *challengeStore) removeLocked(c *challenge) {
	delete(s.pending, c.nonce)
	s.order.Remove(c.elem)
	s.byMember[c.member] = without(s.byMember[c.member], c)
	if len(s.byMember[c.member]) == 0 {
		delete(s.byMember, c.member)
	}
	s.byCaller[c.caller] = without(s.byCaller[c.caller], c)
	if len(s.byCaller[c.caller]) == 0 {
		delete(s.byCaller, c.caller)
	}
}

// without removes c from cs (a few entries), keeping the order.
func without(cs []*challenge, c *challenge) []*challenge {
	for i, x := range cs {
		if x == c {
			return append(cs[:i:i], cs[i+1:]...)
		}
	}
	return cs
}
