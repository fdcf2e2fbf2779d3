package api

import (
	"maps"
	"sync"
)

// ackStore keeps the highest acknowledged timestamp of each member (for pruning).
type ackStore struct {
	mu   sync.Mutex
	acks map[string]int64
}

func newAckStore() *ackStore { return &ackStore{acks: make(map[string]int64)} }

// record keeps the maximum: acknowledgements never move backwards.
func (a *ackStore) record(member string, ts int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if cur, ok := a.acks[member]; !ok || ts > cur {
		a.acks[member] = ts
	}
}

// Acknowledged returns the highest timestamp member acknowledged on this server.
func (s *Server) Acknowledged(member string) (int64, bool) {
	s.acks.mu.Lock()
	defer s.acks.mu.Unlock()
	ts, ok := s.acks.acks[member]
	return ts, ok
}

// Acknowledgements returns a copy of every member's highest acknowledged timestamp. The
// minimum over all members bounds what a pruning node may delete.
func (s *Server) Acknowledgements() map[string]int64 {
	s.acks.mu.Lock()
	defer s.acks.mu.Unlock()
	return maps.Clone(s.acks.acks)
}
