package protocol

import "slices"

// SubmissionPlan is a confirmation request ready for the I/O layer, in plaintext: one view
// envelope per view, one root hash message per informee participant, and the informee
// tree for the mediator group. The I/O layer encrypts each view's plaintext under a fresh
// view key whose seed it encrypts to every recipient, encrypts the informee tree to the
// mediator group, and sends everything as one batch. Slices are sorted, so equal requests
// give equal plans.
type SubmissionPlan struct {
	RootHash      Hash
	MediatorGroup uint32
	// Views are in pre-order of their paths.
	Views []ViewEnvelope
	// RootHashMessages are sorted by participant.
	RootHashMessages []RootHashEnvelope
	// InformeeTree is the encoded informee tree, for the mediator group.
	InformeeTree []byte
}

// ViewEnvelope is one view to send: its plaintext view tree (EncodeTree) and the
// participants to encrypt it to, sorted.
type ViewEnvelope struct {
	Path       ViewPath
	ViewHash   Hash
	Recipients []string
	Plaintext  []byte
}

// RootHashEnvelope is the root hash message for one participant; its recipients are that
// participant and the plan's mediator group. Payload is sent unencrypted.
type RootHashEnvelope struct {
	Participant string
	Payload     []byte
}

// Recipients plans the batch for p: the recipients of each view are the participants
// hosting any of its informees; every such participant gets a root hash message. An
// informee hosted nowhere is an *UnhostedPartyError.
func Recipients(p *Prepared, hosting Hosting) (*SubmissionPlan, error) {
	plan := &SubmissionPlan{RootHash: p.rootHash, MediatorGroup: p.common.MediatorGroup,
		InformeeTree: EncodeTree(p.InformeeTree())}
	var all []string
	for _, v := range p.Views() {
		env, err := viewEnvelope(p, v, hosting)
		if err != nil {
			return nil, err
		}
		plan.Views = append(plan.Views, env)
		all = append(all, env.Recipients...)
	}
	slices.Sort(all)
	msg := EncodeRootHashMessage(RootHashMessage{RootHash: p.rootHash, SynchronizerID: p.common.SynchronizerID})
	for _, participant := range slices.Compact(all) {
		plan.RootHashMessages = append(plan.RootHashMessages, RootHashEnvelope{Participant: participant, Payload: msg})
	}
	return plan, nil
}

func viewEnvelope(p *Prepared, v *View, hosting Hosting) (ViewEnvelope, error) {
	recipients, unhosted := hostsOf(informeeParties(v.Common.Informees), hosting)
	if unhosted != "" {
		return ViewEnvelope{}, &UnhostedPartyError{View: v.Path, Party: unhosted}
	}
	t, err := p.ViewTree(v.Path)
	if err != nil {
		return ViewEnvelope{}, err
	}
	return ViewEnvelope{Path: v.Path, ViewHash: v.Hash(), Recipients: recipients, Plaintext: EncodeTree(t)}, nil
}

// ViewsFor returns the paths of the views participant receives, in plan order.
func (pl *SubmissionPlan) ViewsFor(participant string) []ViewPath {
	var out []ViewPath
	for _, e := range pl.Views {
		if slices.Contains(e.Recipients, participant) {
			out = append(out, e.Path)
		}
	}
	return out
}
