package mediator

import (
	"maps"
	"slices"
)

// changeSet tracks which requests the steps since the last Advance created, modified or
// forgot, so that Ready can hand the loop the difference to persist (Ready.Changed and
// Ready.Forgotten) at a cost proportional to what changed.
type changeSet struct {
	dirty map[int64]struct{} // created or modified, still held
	fresh map[int64]struct{} // created since the last Advance
	gone  []int64            // held at the last Advance, forgotten since
}

func newChangeSet() changeSet {
	return changeSet{dirty: map[int64]struct{}{}, fresh: map[int64]struct{}{}}
}

// create notes a new request.
func (s *changeSet) create(id int64) {
	s.dirty[id] = struct{}{}
	s.fresh[id] = struct{}{}
}

// touch notes a change of a held request.
func (s *changeSet) touch(id int64) { s.dirty[id] = struct{}{} }

// forget notes the removal of a request. One created since the last Advance leaves no
// trace: the previous set of requests never held it.
func (s *changeSet) forget(id int64) {
	delete(s.dirty, id)
	if _, ok := s.fresh[id]; ok {
		delete(s.fresh, id)
		return
	}
	s.gone = append(s.gone, id)
}

func (s *changeSet) empty() bool { return len(s.dirty) == 0 && len(s.gone) == 0 }

func (s *changeSet) reset() {
	clear(s.dirty)
	clear(s.fresh)
	s.gone = nil
}

// changed returns the states of the dirty requests, sorted by id.
func (c *Core) changed() []RequestState {
	if len(c.changes.dirty) == 0 {
		return nil
	}
	out := make([]RequestState, 0, len(c.changes.dirty))
	for _, id := range slices.Sorted(maps.Keys(c.changes.dirty)) {
		out = append(out, c.requests[id].state())
	}
	return out
}

// forgotten returns the ids of the forgotten requests, sorted.
func (c *Core) forgotten() []int64 {
	if len(c.changes.gone) == 0 {
		return nil
	}
	return slices.Sorted(slices.Values(c.changes.gone))
}
