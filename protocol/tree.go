package protocol

// Tree is a partially blinded transaction tree: what a recipient gets of the Merkle tree.
// Blinded parts are replaced by their hashes, so every tree of one transaction, however
// blinded, has the same root hash. A participant's view tree shows one view; the mediator's
// informee tree shows every view's common data.
type Tree struct {
	// CommonMetadata is always visible.
	CommonMetadata CommonMetadata
	// Submitter is nil when blinded; SubmitterHash is always set.
	Submitter     *SubmitterMetadata
	SubmitterHash Hash
	// Views are the root views.
	Views []*TreeView
}

// TreeView is a view of a Tree. A blinded view has only its Path and Hash. Otherwise each
// of Common and Participant is either given or nil (blinded), the corresponding hash is
// always set, and SubViews lists the sub-views.
type TreeView struct {
	Path            ViewPath
	Hash            Hash
	Blinded         bool
	Common          *CommonData
	CommonHash      Hash
	Participant     *ParticipantData
	ParticipantHash Hash
	SubViews        []*TreeView
}

// RootHash returns the tree's root hash.
func (t *Tree) RootHash() Hash {
	roots := make([]Hash, len(t.Views))
	for i, v := range t.Views {
		roots[i] = v.Hash
	}
	return rootHash(t.CommonMetadata.Hash(), t.SubmitterHash, roots)
}

// Walk calls fn for every view that is present (not blinded), in pre-order.
func (t *Tree) Walk(fn func(*TreeView)) {
	var visit func(tv *TreeView)
	visit = func(tv *TreeView) {
		if tv.Blinded {
			return
		}
		fn(tv)
		for _, s := range tv.SubViews {
			visit(s)
		}
	}
	for _, v := range t.Views {
		visit(v)
	}
}

// subViewHashes returns the hashes of tv's sub-views.
func (tv *TreeView) subViewHashes() []Hash {
	out := make([]Hash, len(tv.SubViews))
	for i, s := range tv.SubViews {
		out[i] = s.Hash
	}
	return out
}

// rehash recomputes tv's hash from its parts; blinded views keep theirs.
func (tv *TreeView) rehash() {
	if tv.Blinded {
		return
	}
	if tv.Common != nil {
		tv.CommonHash = tv.Common.Hash()
	}
	if tv.Participant != nil {
		tv.ParticipantHash = tv.Participant.Hash()
	}
	tv.Hash = viewHash(tv.CommonHash, tv.ParticipantHash, tv.subViewHashes())
}
