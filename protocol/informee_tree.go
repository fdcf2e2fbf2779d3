package protocol

// InformeeTree is the mediator's view of a confirmation request: the tree with every
// view's common data visible and all participant data blinded.
type InformeeTree struct {
	Tree     *Tree
	RootHash Hash
	// Views lists every view in pre-order with its hash and informees.
	Views []InformeeView
}

// InformeeView is one view as the mediator sees it.
type InformeeView struct {
	Path      ViewPath
	Hash      Hash
	Informees []Informee
}

// DecodeInformeeTree decodes the mediator's informee tree and recomputes its root hash.
// Besides DecodeTree's checks it requires the submitter metadata, no blinded view, every
// view's common data and no participant data.
func DecodeInformeeTree(b []byte) (*InformeeTree, error) {
	t, err := DecodeTree(b)
	if err != nil {
		return nil, err
	}
	if t.Submitter == nil {
		return nil, malformed("informee tree", "submitter metadata blinded")
	}
	it := &InformeeTree{Tree: t, RootHash: t.RootHash()}
	var bad *MalformedError
	visit := func(tv *TreeView) {
		if tv.Common == nil || tv.Participant != nil {
			bad = malformed("informee tree view "+tv.Path.String(), "want common data only")
		}
		if tv.Common != nil {
			it.Views = append(it.Views, InformeeView{Path: tv.Path, Hash: tv.Hash, Informees: tv.Common.Informees})
		}
	}
	t.Walk(visit)
	if bad != nil {
		return nil, bad
	}
	if err := noBlindedViews(t); err != nil {
		return nil, err
	}
	return it, nil
}

// noBlindedViews checks that no view of t is blinded.
func noBlindedViews(t *Tree) error {
	var check func(tv *TreeView) error
	check = func(tv *TreeView) error {
		if tv.Blinded {
			return malformed("informee tree view "+tv.Path.String(), "blinded")
		}
		for _, s := range tv.SubViews {
			if err := check(s); err != nil {
				return err
			}
		}
		return nil
	}
	for _, v := range t.Views {
		if err := check(v); err != nil {
			return err
		}
	}
	return nil
}
