package topology_test

import (
	"encoding/hex"
	"slices"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

// refModel is a deliberately naive model of namespace authorization for root
// certificates, namespace delegations, owner-to-key mappings and vetted packages. It
// computes the authorized keys of a namespace as a fixed point instead of the package's
// depth-first search, and tracks serials and the mappings in force by unique key.
type refModel struct {
	latest map[string]refEntry // unique key -> latest transaction
}

type refEntry struct {
	serial  uint64
	removed bool
	tx      *topology.Transaction
	signers []crypto.Fingerprint
}

func newRefModel() *refModel { return &refModel{latest: map[string]refEntry{}} }

// apply predicts the sentinel error of applying stx (nil when applied) and updates the
// model.
func (r *refModel) apply(stx *topology.SignedTransaction) error {
	tx := stx.Tx
	k := tx.Key().String()
	cur, exists := r.latest[k]
	if tx.IsRemove() && (!exists || cur.removed) {
		return topology.ErrNoSuchMapping
	}
	if tx.Serial() != cur.serial+1 {
		return topology.ErrSerialMismatch
	}
	signers := stx.SignedBy()
	for _, s := range signers {
		if !r.known(tx, s) {
			return topology.ErrInvalidSignature
		}
	}
	if !r.authorized(tx, signers) {
		return topology.ErrUnauthorized
	}
	r.latest[k] = refEntry{serial: tx.Serial(), removed: tx.IsRemove(), tx: tx, signers: signers}
	return nil
}

func (r *refModel) active() map[string]string {
	out := map[string]string{}
	for k, e := range r.latest {
		if !e.removed {
			out[k] = hex.EncodeToString(e.tx.Hash())
		}
	}
	return out
}

// keysOf returns the signing keys a mapping names.
func keysOf(m *pb.TopologyMapping) [][]byte {
	if d := m.GetNamespaceDelegation(); d != nil {
		return [][]byte{d.TargetKey}
	}
	return m.GetOwnerToKeyMapping().GetSigningKeys()
}

func (r *refModel) known(tx *topology.Transaction, fp crypto.Fingerprint) bool {
	named := func(m *pb.TopologyMapping) bool {
		return slices.ContainsFunc(keysOf(m), func(k []byte) bool { return crypto.FingerprintOf(k) == fp })
	}
	if named(tx.Mapping()) {
		return true
	}
	for _, e := range r.latest {
		if !e.removed && named(e.tx.Mapping()) {
			return true
		}
	}
	return false
}

func (r *refModel) authorized(tx *topology.Transaction, signers []crypto.Fingerprint) bool {
	m := tx.Mapping()
	if d := m.GetNamespaceDelegation(); d != nil && crypto.FingerprintOf(d.TargetKey) == crypto.Fingerprint(d.Namespace) {
		return slices.Contains(signers, crypto.Fingerprint(d.Namespace))
	}
	var namespace crypto.Fingerprint
	switch {
	case m.GetNamespaceDelegation() != nil:
		namespace = crypto.Fingerprint(m.GetNamespaceDelegation().Namespace)
	case m.GetOwnerToKeyMapping() != nil:
		mem, _ := crypto.ParseMember(m.GetOwnerToKeyMapping().Member)
		namespace = mem.UID.Namespace
		if !tx.IsRemove() {
			for _, k := range m.GetOwnerToKeyMapping().SigningKeys {
				if !slices.Contains(signers, crypto.FingerprintOf(k)) {
					return false
				}
			}
		}
	default:
		mem, _ := crypto.ParseMember(m.GetVettedPackages().Participant)
		namespace = mem.UID.Namespace
	}
	anyKeys, _ := r.authorizedKeys(namespace, tx.Code())
	return slices.ContainsFunc(signers, func(s crypto.Fingerprint) bool { return anyKeys[s] })
}

// authorizedKeys returns the keys that may sign code in ns, and those that may sign
// namespace delegations, as a fixed point.
func (r *refModel) authorizedKeys(ns crypto.Fingerprint, code pb.MappingCode) (map[crypto.Fingerprint]bool, map[crypto.Fingerprint]bool) {
	dels := r.delegations(ns)
	root, ok := dels[ns]
	mayDelegate, reached := map[crypto.Fingerprint]bool{}, map[crypto.Fingerprint]bool{}
	if !ok {
		return reached, mayDelegate
	}
	reached[ns], mayDelegate[ns] = true, root.restriction == pb.RestrictionKind_RESTRICTION_KIND_ALL
	for changed := true; changed; {
		changed = false
		for k, d := range dels {
			if reached[k] || !slices.ContainsFunc(d.signers, func(s crypto.Fingerprint) bool { return mayDelegate[s] }) {
				continue
			}
			reached[k], changed = true, true
			mayDelegate[k] = d.restriction == pb.RestrictionKind_RESTRICTION_KIND_ALL
		}
	}
	out := map[crypto.Fingerprint]bool{}
	for k := range reached {
		restr := dels[k].restriction
		if restr == pb.RestrictionKind_RESTRICTION_KIND_ALL || (restr == pb.RestrictionKind_RESTRICTION_KIND_ALL_BUT_NAMESPACE_DELEGATIONS && code != pb.MappingCode_MAPPING_CODE_NAMESPACE_DELEGATION) {
			out[k] = true
		}
	}
	return out, mayDelegate
}

type refDelegation struct {
	restriction pb.RestrictionKind
	signers     []crypto.Fingerprint
}

func (r *refModel) delegations(ns crypto.Fingerprint) map[crypto.Fingerprint]refDelegation {
	out := map[crypto.Fingerprint]refDelegation{}
	for _, e := range r.latest {
		d := e.tx.Mapping().GetNamespaceDelegation()
		if e.removed || d == nil || d.Namespace != string(ns) {
			continue
		}
		out[crypto.FingerprintOf(d.TargetKey)] = refDelegation{restriction: d.Restriction.Kind, signers: e.signers}
	}
	return out
}
