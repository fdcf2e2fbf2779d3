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
	// Tolerance bounds |ledger time - sequencing time| (the on-chain ledger time tolerance
	// in force at the request's time).
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
	return c.ValidateChecked(rv, c.PureChecks(rv), recipients, sequencingTime)
}

// PureResults are the outcomes of the checks that depend only on the view and the
// packages: a node computes them ahead, in parallel, with PureChecks, and ValidateChecked
// combines them with the checks that need its state or the synchronizer parameters in
// force at the request's time (the ledger time tolerance).
type PureResults struct {
	Metadata, SubViews, Informees, Declared, Reinterpret error
}

// PureChecks runs the pure checks on rv (it reads only c.Packages).
func (c Validator) PureChecks(rv *ReceivedView) PureResults {
	v := rv.View
	r := PureResults{
		Metadata:  CheckMetadata(rv),
		SubViews:  CheckSubViews(v),
		Informees: CheckInformees(v),
		Declared:  checkDeclaredContracts(v),
	}
	if r.Metadata == nil && r.SubViews == nil && r.Informees == nil && r.Declared == nil {
		r.Reinterpret = reinterpret(c.Packages, v) // not needed (nor run) after an earlier failure
	}
	return r
}

// ValidateChecked completes the checks of ValidateView on rv with the pure results pr,
// in ValidateView's order, running the stateful ones (recipients against c.Hosting, the
// ledger time against sequencingTime within c.Tolerance, the inputs against c.Known)
// now. It returns rv and the first failure.
func (c Validator) ValidateChecked(rv *ReceivedView, pr PureResults, recipients []string, sequencingTime time.Time) (*ReceivedView, error) {
	v := rv.View
	checks := []func() error{
		func() error { return pr.Metadata },
		func() error { return pr.SubViews },
		func() error { return pr.Informees },
		func() error { return CheckRecipients(v, recipients, c.Hosting) },
		func() error { return CheckLedgerTime(v.Participant.LedgerTime, sequencingTime, c.Tolerance) },
		func() error { return pr.Declared },
		func() error { return checkKnownInputs(v, c.Known) },
		func() error { return pr.Reinterpret },
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return rv, err
		}
	}
	return rv, nil
}
