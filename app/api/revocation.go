package api

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/crypto"
)

// Sentinels of a *RevokedError: what callers branch on.
var (
	// ErrMemberRemoved: the member is no longer a member of the synchronizer.
	ErrMemberRemoved = errors.New("member was removed from the topology")
	// ErrKeyRevoked: the signing key a token was issued against is no longer the member's.
	ErrKeyRevoked = errors.New("signing key was revoked or rotated")
)

// RevokedError says that Member, or its signing key Key, stopped being admitted by a
// topology change effective at EffectiveMicros (sequencer time): an event sequenced after
// that time no longer sees the member (or the key). Key is empty when the member itself
// was removed (no OwnerToKeyMapping, permission revoked, no longer in a mediator group or
// the sequencer state: whatever core.Membership.IsMember says).
type RevokedError struct {
	Member          string
	Key             crypto.Fingerprint
	EffectiveMicros int64
}

func (e *RevokedError) Error() string {
	at := time.UnixMicro(e.EffectiveMicros).UTC().Format(time.RFC3339Nano)
	if e.Key == "" {
		return fmt.Sprintf("member %s was removed from the topology at %s", e.Member, at)
	}
	return fmt.Sprintf("signing key %s of %s was revoked or rotated at %s: authenticate again", e.Key, e.Member, at)
}

// Unwrap returns ErrMemberRemoved or ErrKeyRevoked.
func (e *RevokedError) Unwrap() error {
	if e.Key == "" {
		return ErrMemberRemoved
	}
	return ErrKeyRevoked
}

// streamStatus is how a Subscribe stream cut by e ends: PermissionDenied for a removed
// member (it may not come back by authenticating), Unauthenticated for a revoked key (it
// authenticates again with a current key and resumes).
func (e *RevokedError) streamStatus() error {
	if e.Key == "" {
		return status.Error(codes.PermissionDenied, e.Error())
	}
	return status.Error(codes.Unauthenticated, e.Error())
}

// affects reports whether e cuts what was authenticated as member with key.
func (e *RevokedError) affects(member string, key crypto.Fingerprint) bool {
	return e.Member == member && (e.Key == "" || e.Key == key)
}

// revocations follows the committed topology on sequencer time and finds the changes
// that take a member, or one of its signing keys, out of the membership. It only reads
// the machine's committed state, so every node finds the same changes at the same
// effective times, whenever it happens to look.
//
// known is the sequencing time of the last committed event looked at; mem is the
// membership in force for the next event (at known+1). An event sequenced at t sees
// the changes effective before t (topology.State.SnapshotAt), so the membership for the
// times up to known+1 is final once an event at known is committed: a later topology
// transaction is sequenced after known and is effective no earlier.
type revocations struct {
	mu      sync.Mutex
	known   int64
	mem     core.Membership // nil before the first advance
	root    []byte          // Machine.StateRoot when mem was taken
	settled bool            // no accepted change was pending then: head == mem
}

// advance moves the tracker to the last committed event time committed of machine m and
// returns the revocations that took effect since the previous call, in member order. The
// caller holds r.mu. It recomputes the membership only when the topology state changed
// or a change was pending, and searches the exact effective time only when some member
// or key lost its admission.
func (r *revocations) advance(m *core.Machine, committed int64) []*RevokedError {
	if r.mem != nil && committed <= r.known {
		return nil
	}
	root := m.StateRoot() // first: the head read after it is at least as new
	if r.mem != nil && r.settled && bytes.Equal(root, r.root) {
		r.known = committed
		return nil
	}
	cur := m.MembershipAt(committed + 1)
	var cuts []*RevokedError
	if r.mem != nil && !bytes.Equal(cur.Root(), r.mem.Root()) {
		cuts = revokedBetween(m, r.mem, cur, r.known+1, committed+1)
	}
	r.known, r.mem, r.root = committed, cur, root
	r.settled = bytes.Equal(cur.Root(), m.Membership().Root())
	return cuts
}

// revokedBetween returns what prev (the membership at lo) admits and cur (at hi > lo)
// does not, each with the effective time of its change: the first time in (lo, hi] at
// which it is no longer admitted, minus one.
func revokedBetween(m *core.Machine, prev, cur core.Membership, lo, hi int64) []*RevokedError {
	at := map[int64]core.Membership{lo: prev, hi: cur}
	memAt := func(t int64) core.Membership {
		if x, ok := at[t]; ok {
			return x
		}
		x := m.MembershipAt(t)
		at[t] = x
		return x
	}
	var out []*RevokedError
	for _, member := range prev.Members() {
		if !cur.IsMember(member) {
			first := firstTime(lo, hi, func(t int64) bool { return !memAt(t).IsMember(member) })
			out = append(out, &RevokedError{Member: member, EffectiveMicros: first - 1})
			continue
		}
		for _, fp := range prev.SigningKeys(member) {
			if _, ok := cur.SigningKey(member, fp); ok {
				continue
			}
			first := firstTime(lo, hi, func(t int64) bool { _, ok := memAt(t).SigningKey(member, fp); return !ok })
			out = append(out, &RevokedError{Member: member, Key: fp, EffectiveMicros: first - 1})
		}
	}
	return out
}

// firstTime returns the smallest t in (lo, hi] with gone(t), given gone(hi) and not
// gone(lo); gone changes once in the interval (a member removed and re-admitted within
// one interval is seen at its first removal, or not at all).
func firstTime(lo, hi int64, gone func(int64) bool) int64 {
	n := hi - lo // gone(lo+n) holds
	i := sort.Search(int(n), func(i int) bool { return gone(lo + 1 + int64(i)) })
	return lo + 1 + int64(i)
}

// refresh brings the revocations up to the committed head and applies the new ones: the
// tokens they concern are refused from now on and the subscriptions they concern are
// cut. It returns the sequencing time up to which the cuts are known: a subscription
// may deliver the events sequenced up to then (and, when cut, up to its cut's effective
// time). It is cheap when no event was committed or the topology did not change.
func (s *Server) refresh() int64 {
	s.rev.mu.Lock()
	defer s.rev.mu.Unlock()
	return s.refreshLocked()
}

func (s *Server) refreshLocked() int64 {
	m := s.backend.Machine()
	committed := s.backend.LastCommittedTimeMicros() // before the machine's topology: see revocations
	if m == nil {
		return committed
	}
	for _, cut := range s.rev.advance(m, committed) {
		tokens := s.tokens.revoke(cut)
		streams := s.cutSubscriptions(cut)
		s.logger.Info("membership change took effect", "member", cut.Member, "key", cut.Key.Short(), "effective_micros", cut.EffectiveMicros, "tokens", tokens, "subscriptions", streams)
	}
	return s.rev.known
}

// cutSubscriptions marks the open subscriptions that cut affects and wakes them; they
// deliver their events up to the cut's effective time and end. It returns how many.
func (s *Server) cutSubscriptions(cut *RevokedError) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sub := range s.subs {
		if sub.cut == nil && cut.affects(sub.member, sub.key) {
			sub.cut = cut
			close(sub.cutCh)
			n++
		}
	}
	return n
}
