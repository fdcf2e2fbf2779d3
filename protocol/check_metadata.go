package protocol

import "slices"

// CheckMetadata checks a received view against the metadata its tree shows. A root view's
// tree must show the submitter metadata, and the root action's authorizers must be the
// submitters; when shown, the metadata's ledger time must be the view's. Violations are
// *MetadataMismatchError.
func CheckMetadata(rv *ReceivedView) error {
	v, s := rv.View, rv.Tree.Submitter
	if s == nil {
		if v.Path.IsRoot() {
			return &MetadataMismatchError{View: v.Path, Field: "submitter metadata", InView: "a root view", InMetadata: "blinded"}
		}
		return nil
	}
	if !v.Participant.LedgerTime.Equal(s.LedgerTime) {
		return &MetadataMismatchError{View: v.Path, Field: "ledger time",
			InView: v.Participant.LedgerTime.String(), InMetadata: s.LedgerTime.String()}
	}
	if v.Path.IsRoot() && !slices.Equal(v.Participant.Authorizers, s.Submitters) {
		return &MetadataMismatchError{View: v.Path, Field: "authorizers",
			InView: partyList(v.Participant.Authorizers), InMetadata: partyList(s.Submitters)}
	}
	return nil
}
