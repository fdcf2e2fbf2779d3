package protocol

import "slices"

// CheckInformees checks that the informees v declares in its common data (which the
// mediator aggregates confirmations for) are exactly those of its action, with the same
// confirming flags (see ActionInformees). A difference is an *InformeeMismatchError.
func CheckInformees(v *View) error {
	want := ActionInformees(v.Participant.Action)
	if !slices.Equal(v.Common.Informees, want) {
		return &InformeeMismatchError{View: v.Path, Declared: v.Common.Informees, Expected: want}
	}
	return nil
}
