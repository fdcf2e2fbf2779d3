package topology

// Preview reports what Apply would do with stx at the head of s, as if it were sequenced
// right after the last accepted transaction, without changing s: an Outcome (applied, or
// stored or merged as a proposal, with Missing saying what the merged signatures still
// lack) or the error Apply would return. Operator tools use it to tell which signatures
// a transaction still needs.
func (s *State) Preview(stx *SignedTransaction) (Outcome, error) {
	trial, err := FromDump(s.Dump())
	if err != nil {
		return Outcome{}, err
	}
	return trial.Apply(stx, s.lastSequenced, s.lastSequenced)
}
