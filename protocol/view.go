package protocol

import (
	"strconv"
	"strings"
)

// ViewPath is the position of a view in the view tree: the index of the root view
// followed by the sub-view index at each level. It is not the position of the view's
// action in the transaction.
type ViewPath []int

// String returns the path as dot-separated indexes, e.g. "0.2.0".
func (p ViewPath) String() string {
	parts := make([]string, len(p))
	for i, x := range p {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ".")
}

// Child returns the path of sub-view i of p.
func (p ViewPath) Child(i int) ViewPath {
	out := make(ViewPath, len(p)+1)
	copy(out, p)
	out[len(p)] = i
	return out
}

// IsRoot reports whether p is a root view's path.
func (p ViewPath) IsRoot() bool { return len(p) == 1 }

// View is one view of a transaction: an action with what its informees' participants need
// to validate it, and the hashes of its sub-views (their contents are blinded).
type View struct {
	Path        ViewPath
	Common      CommonData
	Participant ParticipantData
	SubViews    []Hash
}

// Hash returns the view hash: H(common data hash, participant data hash, sub-view hashes).
func (v *View) Hash() Hash {
	return viewHash(v.Common.Hash(), v.Participant.Hash(), v.SubViews)
}

// Informees returns the parties of the view's declared informees.
func (v *View) Informees() []Informee { return v.Common.Informees }
