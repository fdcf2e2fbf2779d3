package topology

// Preview reports what Apply would do with stx at the head of s, as if it were sequenced
// right after the last accepted transaction, without changing s: an Outcome (applied, or
// stored or merged as a proposal, with Missing saying what the merged signatures still
// lack) or the error Apply would return. Operator tools use it to tell which signatures
// a transaction still needs.
func (s *State) Preview(stx *SignedTransaction) (Outcome, error) {
	return s.clone().Apply(stx, s.lastSequenced, s.lastSequenced)
}

// clone returns a copy of s that Apply may change without affecting s: the entries and
// proposals are copied (Apply updates them in place), the immutable signed transactions
// are shared, and the head is rebuilt from the copied history. Nothing is decoded again.
func (s *State) clone() *State {
	c := NewState(s.synchronizer)
	c.lastSequenced, c.lastEffective = s.lastSequenced, s.lastEffective
	c.history = make([]*entry, len(s.history))
	for i, e := range s.history {
		ce := *e
		c.history[i] = &ce
		c.head.set(&ce)
	}
	for h, p := range s.proposals {
		cp := *p
		c.proposals[h] = &cp
	}
	return c
}
