package protocol

// ReceivedView is a view a participant received, decoded from its view tree and checked
// to belong to the announced root hash.
type ReceivedView struct {
	// Tree is the decoded view tree, for its metadata.
	Tree *Tree
	// RootHash is the request's root hash.
	RootHash Hash
	// View is the one view the tree shows in full.
	View *View
}

// CheckViewAgainstRoot decodes a view tree and checks that it shows exactly one view in
// full and that the whole tree (the view's recomputed hash with the hashes of the rest)
// hashes to announced, the root hash from the request's root hash message. Any change to
// a view's data changes its hash and hence the root hash: a *RootHashMismatchError. A
// malformed tree is a *MalformedError.
func CheckViewAgainstRoot(viewTree []byte, announced Hash) (*ReceivedView, error) {
	t, err := DecodeTree(viewTree)
	if err != nil {
		return nil, err
	}
	v, err := shownView(t)
	if err != nil {
		return nil, err
	}
	if computed := t.RootHash(); computed != announced {
		return nil, &RootHashMismatchError{Announced: announced, Computed: computed}
	}
	return &ReceivedView{Tree: t, RootHash: announced, View: v}, nil
}

// shownView returns the only view of t whose participant data is visible; its common data
// must be visible too.
func shownView(t *Tree) (*View, error) {
	var shown []*TreeView
	t.Walk(func(tv *TreeView) {
		if tv.Participant != nil {
			shown = append(shown, tv)
		}
	})
	if len(shown) != 1 {
		return nil, malformed("view tree", "%d views shown in full, want 1", len(shown))
	}
	tv := shown[0]
	if tv.Common == nil {
		return nil, malformed("view tree view "+tv.Path.String(), "common data blinded")
	}
	return &View{Path: tv.Path, Common: *tv.Common, Participant: *tv.Participant, SubViews: tv.subViewHashes()}, nil
}
