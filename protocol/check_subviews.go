package protocol

import (
	"fmt"
	"strconv"
)

// CheckSubViews recomputes the sub-views of v from v's own data (its action, authorizers,
// inputs, ledger time and seed) and checks that their hashes are the ones v declares. It
// binds the sub-views, which other participants validate, to the subtree v's recipients
// validate: a submitter cannot show the parent's informees one consequence and the
// sub-view's informees another. A difference is a *SubViewMismatchError.
func CheckSubViews(v *View) error {
	p := &v.Participant
	subs := subActions(p.Action, p.Authorizers)
	if len(subs) != len(v.SubViews) {
		return &SubViewMismatchError{View: v.Path, Index: -1,
			Declared: strconv.Itoa(len(v.SubViews)), Computed: strconv.Itoa(len(subs))}
	}
	for i, sa := range subs {
		sub, err := buildView(v.Path.Child(i), sa.node, subViewSeed(p.Salt, i), sa.auth, p.known(), p.LedgerTime)
		if err != nil {
			return &ConformanceError{View: v.Path, Field: "inputs", Err: fmt.Errorf("sub-view %d: %w", i, err)}
		}
		if h := sub.view.Hash(); h != v.SubViews[i] {
			return &SubViewMismatchError{View: v.Path, Index: i, Declared: v.SubViews[i].Short(), Computed: h.Short()}
		}
	}
	return nil
}
