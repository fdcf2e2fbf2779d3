package mediator_test

import (
	"fmt"
	"testing"

	"github.com/cometsync/cometsync/mediator"
	pb "github.com/cometsync/cometsync/proto/mediatorpb"
)

// TestIgnoredResponseReason: every reason for which a response does not count has its
// own metric label, found from a record's detail (the reason's text, maybe with
// context); anything else is "other".
func TestIgnoredResponseReason(t *testing.T) {
	reasons := []error{
		mediator.ErrUndecodableResponse, mediator.ErrSenderMismatch, mediator.ErrBadSignature, mediator.ErrUnknownRequest,
		mediator.ErrAlreadyDecided, mediator.ErrWrongRootHash, mediator.ErrWrongSynchronizer, mediator.ErrNoVerdict,
		mediator.ErrNoParties, mediator.ErrUnknownView, mediator.ErrNotConfirming, mediator.ErrNotHosted, mediator.ErrDuplicateVote,
	}
	seen := map[string]error{}
	for _, err := range reasons {
		for _, detail := range []string{err.Error(), fmt.Errorf("%w: context", err).Error()} {
			label := mediator.IgnoredResponseReason(detail)
			if label == "other" {
				t.Errorf("%q has no label", detail)
			}
			if prev, ok := seen[label]; ok && prev != err {
				t.Errorf("%q and %q share the label %s", prev, err, label)
			}
			seen[label] = err
		}
	}
	if got := mediator.IgnoredResponseReason("something new"); got != "other" {
		t.Errorf("an unknown detail: %s", got)
	}
}

// TestIgnoredRecordsHaveReasons: the records of the aggregation cases' ignored
// responses all map to a known reason, and PendingCount agrees with Pending after
// every event.
func TestIgnoredRecordsHaveReasons(t *testing.T) {
	for _, tc := range aggregationCases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			for _, ev := range tc.events(f) {
				f.step(ev)
				if n, want := f.core.PendingCount(), len(f.core.Pending()); n != want {
					t.Fatalf("PendingCount %d, Pending %d", n, want)
				}
			}
			for _, r := range f.recs {
				if r.Kind == pb.RecordKind_RECORD_KIND_RESPONSE_IGNORED && mediator.IgnoredResponseReason(r.Detail) == "other" {
					t.Errorf("ignored response without a known reason: %q", r.Detail)
				}
			}
		})
	}
}
