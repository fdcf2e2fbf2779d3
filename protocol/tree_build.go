package protocol

// visibility says how much of a view a tree shows.
type visibility uint8

const (
	// hidden: the view and its sub-views are one hash.
	hidden visibility = iota
	// shape: both data parts are hashes; the sub-views are listed.
	shape
	// commonOnly: the common data is shown, the participant data is a hash.
	commonOnly
	// full: both data parts are shown.
	full
)

// ViewTree returns the tree sent to the recipients of the view at path: that view in full
// with its sub-views blinded, its ancestors reduced to their hashes and sub-view lists,
// every other view blinded, and the submitter metadata shown only for a root view. The
// tree shares its data with p: do not modify it.
func (p *Prepared) ViewTree(path ViewPath) (*Tree, error) {
	if p.find(path) == nil {
		return nil, ErrUnknownView
	}
	policy := func(q ViewPath) visibility {
		switch {
		case len(q) == len(path) && hasViewPrefix(path, q):
			return full
		case len(q) < len(path) && hasViewPrefix(path, q):
			return shape
		}
		return hidden
	}
	return p.tree(policy, path.IsRoot()), nil
}

// InformeeTree returns the tree sent to the mediator: every view's common data and shape,
// all participant data blinded, both metadata parts shown. The tree shares its data with p:
// do not modify it.
func (p *Prepared) InformeeTree() *Tree {
	return p.tree(func(ViewPath) visibility { return commonOnly }, true)
}

func (p *Prepared) tree(policy func(ViewPath) visibility, showSubmitter bool) *Tree {
	t := &Tree{CommonMetadata: p.common, SubmitterHash: p.submitter.Hash()}
	if showSubmitter {
		s := p.submitter
		t.Submitter = &s
	}
	for _, r := range p.roots {
		t.Views = append(t.Views, blind(r, policy))
	}
	return t
}

// blind returns vt as a TreeView shown as policy says.
func blind(vt *viewTree, policy func(ViewPath) visibility) *TreeView {
	v := vt.view
	tv := &TreeView{Path: v.Path, Hash: v.Hash(), CommonHash: v.Common.Hash(), ParticipantHash: v.Participant.Hash()}
	switch policy(v.Path) {
	case hidden:
		return &TreeView{Path: v.Path, Hash: tv.Hash, Blinded: true}
	case commonOnly:
		tv.Common = &v.Common
	case full:
		tv.Common, tv.Participant = &v.Common, &v.Participant
	}
	for _, s := range vt.subs {
		tv.SubViews = append(tv.SubViews, blind(s, policy))
	}
	return tv
}

func hasViewPrefix(p, prefix ViewPath) bool {
	if len(p) < len(prefix) {
		return false
	}
	for i := range prefix {
		if p[i] != prefix[i] {
			return false
		}
	}
	return true
}
