package mediator

import (
	"errors"
	"strings"
)

// ignoredResponseReasons name the reasons for which a response does not count, as
// metric labels.
var ignoredResponseReasons = []struct {
	err   error
	label string
}{
	{ErrUndecodableResponse, "undecodable"},
	{ErrSenderMismatch, "sender_mismatch"},
	{ErrBadSignature, "bad_signature"},
	{ErrUnknownRequest, "unknown_request"},
	{ErrAlreadyDecided, "already_decided"},
	{ErrWrongRootHash, "wrong_root_hash"},
	{ErrWrongSynchronizer, "wrong_synchronizer"},
	{ErrNoVerdict, "no_verdict"},
	{ErrNoParties, "no_parties"},
	{ErrUnknownView, "unknown_view"},
	{ErrNotConfirming, "not_confirming"},
	{ErrNotHosted, "not_hosted"},
	{ErrDuplicateVote, "duplicate_vote"},
	{errors.New(""), "other"},
}

// IgnoredResponseReason returns the short reason (a metric label: not_hosted,
// unknown_request, …; other when none matches) of the detail of a RESPONSE_IGNORED
// record, which starts with the text of one of the ErrX reasons.
func IgnoredResponseReason(detail string) string {
	for _, r := range ignoredResponseReasons {
		if strings.HasPrefix(detail, r.err.Error()) {
			return r.label
		}
	}
	return "other"
}

// IgnoredResponseReasons returns every label IgnoredResponseReason can return, "other"
// last (to create a metric's series up front).
func IgnoredResponseReasons() []string {
	labels := make([]string, len(ignoredResponseReasons))
	for i, r := range ignoredResponseReasons {
		labels[i] = r.label
	}
	return labels
}
