package ledger

// fetch reads an active contract. At least one stakeholder must be an authorizer; the
// node's actors are the authorizers that are stakeholders.
func (in *interp) fetch(path NodePath, seed Seed, auth PartySet, ct *compiledTemplate, id ContractID) (*Node, *Contract, error) {
	if err := in.newNode(path); err != nil {
		return nil, nil, err
	}
	c, err := in.contract(path, id, ct)
	if err != nil {
		return nil, nil, err
	}
	stakeholders := c.Stakeholders()
	actors := auth.Intersect(stakeholders)
	if len(actors) == 0 {
		return nil, nil, &AuthorizationError{Path: path, Action: "fetch " + string(id) + " (needs any one stakeholder)",
			Required: stakeholders, Authorizers: auth, Missing: stakeholders}
	}
	return &Node{Kind: NodeFetch, Seed: seed, ContractID: id, Template: ct.id,
		Signatories: c.Signatories, Observers: c.Observers, Actors: actors}, c, nil
}
