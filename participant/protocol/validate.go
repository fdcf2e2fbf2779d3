package protocol

import (
	"time"

	"github.com/cometsync/cometsync/ledger"
)

// Validator bundles what a participant needs to run every pure check on a received view.
// Consistency (inputs active and not locked by an earlier request) is stateful and is the
// caller's, after ValidateView.
type Validator struct {
	// Packages are the vetted packages to reinterpret with.
	Packages *ledger.PackageSet
	// Hosting is the topology snapshot at the request's time.
	Hosting Hosting
	// Known gives this participant's copies of contracts (its active contract set).
	Known ledger.ContractLookup
	// Tolerance bounds |ledger time - sequencing time|.
	Tolerance time.Duration
}

// ValidateView runs the checks on one view tree in this order: root hash
// (CheckViewAgainstRoot), metadata (CheckMetadata), sub-views (CheckSubViews), informees
// (CheckInformees), recipients (CheckRecipients), ledger time (CheckLedgerTime against
// sequencingTime), conformance (CheckConformance). It returns the received view, which is
// nil only if the tree does not decode or match the root hash, and the first failure.
func (c Validator) ValidateView(viewTree []byte, rootHash Hash, recipients []string, sequencingTime time.Time) (*ReceivedView, error) {
	rv, err := CheckViewAgainstRoot(viewTree, rootHash)
	if err != nil {
		return nil, err
	}
	return c.ValidateReceived(rv, recipients, sequencingTime)
}

// ValidateReceived runs the checks of ValidateView after the root hash check, on a view
// CheckViewAgainstRoot returned (a node may run that pure, costly part ahead, in
// parallel). It returns rv and the first failure.
func (c Validator) ValidateReceived(rv *ReceivedView, recipients []string, sequencingTime time.Time) (*ReceivedView, error) {
	v := rv.View
	checks := []func() error{
		func() error { return CheckMetadata(rv) },
		func() error { return CheckSubViews(v) },
		func() error { return CheckInformees(v) },
		func() error { return CheckRecipients(v, recipients, c.Hosting) },
		func() error { return CheckLedgerTime(v.Participant.LedgerTime, sequencingTime, c.Tolerance) },
		func() error { return CheckConformance(c.Packages, v, c.Known) },
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return rv, err
		}
	}
	return rv, nil
}
