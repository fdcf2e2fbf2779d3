package topology

import (
	"slices"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
)

// requirement is what must sign a transaction: every namespace (a decentralized one
// through a threshold of its owners) and every listed key.
type requirement struct {
	namespaces []nsRequirement
	keys       []crypto.Fingerprint
}

// nsRequirement is one namespace to authorize. uid is the identifier the transaction
// is about, for identifier delegations ("" when none applies). With owners set, the
// namespace is decentralized and needs threshold of them.
type nsRequirement struct {
	ns        crypto.Fingerprint
	uid       string
	owners    []crypto.Fingerprint
	threshold int
}

func (r *requirement) add(n nsRequirement) {
	if !slices.ContainsFunc(r.namespaces, func(x nsRequirement) bool { return x.ns == n.ns && x.uid == n.uid }) {
		r.namespaces = append(r.namespaces, n)
	}
}

// namespace returns the requirement for ns at the head: decentralized when a definition
// is in force.
func (h *head) namespace(ns crypto.Fingerprint, uid string) nsRequirement {
	if d := h.dnd(ns); d != nil {
		return nsRequirement{ns: ns, uid: uid, owners: fingerprints(d.Owners), threshold: int(d.Threshold)}
	}
	return nsRequirement{ns: ns, uid: uid}
}

// required computes who must sign tx given the head. It fails with a MappingError when
// the mapping contradicts the head (a wrong decentralized namespace id, a delegation
// into a decentralized namespace).
func (h *head) required(tx *Transaction) (requirement, error) {
	var r requirement
	switch x := tx.mapping().GetMapping().(type) {
	case *pb.TopologyMapping_NamespaceDelegation:
		return r, h.requireNamespaceDelegation(&r, x.NamespaceDelegation)
	case *pb.TopologyMapping_IdentifierDelegation:
		u, _ := crypto.ParseUID(x.IdentifierDelegation.Uid)
		r.add(h.namespace(u.Namespace, ""))
	case *pb.TopologyMapping_DecentralizedNamespaceDefinition:
		return r, h.requireDecentralized(&r, tx, x.DecentralizedNamespaceDefinition)
	case *pb.TopologyMapping_OwnerToKeyMapping:
		h.requireOwnerToKey(&r, tx, x.OwnerToKeyMapping)
	case *pb.TopologyMapping_PartyToParticipant:
		h.requirePartyToParticipant(&r, tx, x.PartyToParticipant)
	case *pb.TopologyMapping_VettedPackages:
		h.requireUID(&r, memberUID(x.VettedPackages.Participant))
	default: // synchronizer-level mappings
		h.requireUID(&r, synchronizerOf(tx.mapping()))
	}
	return r, nil
}

func (h *head) requireUID(r *requirement, uid string) {
	u, _ := crypto.ParseUID(uid)
	r.add(h.namespace(u.Namespace, uid))
}

func memberUID(member string) string {
	m, _ := crypto.ParseMember(member)
	return m.UID.String()
}

func (h *head) requireNamespaceDelegation(r *requirement, d *pb.NamespaceDelegation) error {
	ns := crypto.Fingerprint(d.Namespace)
	target := fingerprintOf(d.TargetKey)
	if target == ns { // root certificate: self-signed
		r.keys = append(r.keys, target)
		return nil
	}
	if h.dnd(ns) != nil {
		return invalid("namespace_delegation.namespace", "%s is decentralized; its owners govern it", ns.Short())
	}
	r.add(h.namespace(ns, ""))
	return nil
}

func (h *head) requireDecentralized(r *requirement, tx *Transaction, d *pb.DecentralizedNamespaceDefinition) error {
	ns := crypto.Fingerprint(d.Namespace)
	cur := h.dnd(ns)
	if cur == nil {
		if want := DecentralizedNamespace(fingerprints(d.Owners)); want != ns {
			return invalid("decentralized_namespace_definition.namespace", "%s is not derived from the owners (want %s)", ns, want)
		}
	} else {
		r.add(h.namespace(ns, ""))
	}
	for i, o := range d.Owners {
		if h.dnd(crypto.Fingerprint(o)) != nil {
			return invalid(fieldAt("decentralized_namespace_definition.owners", i), "%s is itself decentralized", o)
		}
		if cur == nil || (!tx.IsRemove() && !containsSorted(cur.Owners, o)) { // first definition or new owner
			r.add(nsRequirement{ns: crypto.Fingerprint(o)})
		}
	}
	return nil
}

func (h *head) requireOwnerToKey(r *requirement, tx *Transaction, m *pb.OwnerToKeyMapping) {
	h.requireUID(r, memberUID(m.Member))
	if tx.IsRemove() {
		return
	}
	for _, k := range m.SigningKeys { // proof of possession
		r.keys = append(r.keys, fingerprintOf(k))
	}
	slices.Sort(r.keys)
}

func (h *head) requirePartyToParticipant(r *requirement, tx *Transaction, m *pb.PartyToParticipant) {
	h.requireUID(r, m.Party)
	if tx.IsRemove() {
		return
	}
	var current []*pb.HostingParticipant
	if e := h.active(tx.Key()); e != nil {
		current = e.mapping().GetPartyToParticipant().Participants
	}
	for _, p := range m.Participants {
		if !slices.ContainsFunc(current, func(c *pb.HostingParticipant) bool { return c.Participant == p.Participant }) {
			h.requireUID(r, memberUID(p.Participant)) // consent of a newly added participant
		}
	}
}

func fingerprints(ss []string) []crypto.Fingerprint {
	out := make([]crypto.Fingerprint, len(ss))
	for i, s := range ss {
		out[i] = crypto.Fingerprint(s)
	}
	return out
}
