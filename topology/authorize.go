package topology

import (
	"slices"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
)

// verdict is the evaluation of a requirement against a set of signers.
type verdict struct {
	missing  UnauthorizedError
	progress int // satisfied namespaces, owners and keys: zero means no required party signed
}

func (v *verdict) authorized() bool {
	return len(v.missing.Namespaces) == 0 && len(v.missing.Keys) == 0
}

// evaluate checks req for a transaction of code signed by signers (sorted).
func (h *head) evaluate(req requirement, code pb.MappingCode, signers []crypto.Fingerprint) verdict {
	var v verdict
	for _, n := range req.namespaces {
		h.evaluateNamespace(&v, n, code, signers)
	}
	for _, k := range req.keys {
		if _, ok := slices.BinarySearch(signers, k); ok {
			v.progress++
		} else {
			v.missing.Keys = append(v.missing.Keys, k)
		}
	}
	slices.Sort(v.missing.Namespaces)
	v.missing.Namespaces = slices.Compact(v.missing.Namespaces)
	return v
}

func (h *head) evaluateNamespace(v *verdict, n nsRequirement, code pb.MappingCode, signers []crypto.Fingerprint) {
	if n.owners == nil {
		if h.authorizedBy(n.ns, n.uid, code, signers) {
			v.progress++
		} else {
			v.missing.Namespaces = append(v.missing.Namespaces, n.ns)
		}
		return
	}
	got := 0
	for _, o := range n.owners {
		if h.authorizedBy(o, "", code, signers) {
			got++
		}
	}
	v.progress += got
	if got < n.threshold {
		v.missing.Namespaces = append(v.missing.Namespaces, n.ns)
		v.missing.Thresholds = append(v.missing.Thresholds, ThresholdShortfall{Namespace: n.ns, Threshold: n.threshold, Authorized: got})
	}
}

// authorizedBy reports whether one of signers may authorize a transaction of code in
// the plain namespace ns (or, through an identifier delegation, for uid).
func (h *head) authorizedBy(ns crypto.Fingerprint, uid string, code pb.MappingCode, signers []crypto.Fingerprint) bool {
	for _, s := range signers {
		if h.keyAuthorizes(ns, s, code, map[crypto.Fingerprint]bool{}) {
			return true
		}
		if uid != "" && identifierDelegable(code) && h.idds[uid][s] != nil && h.alive(ns) {
			return true
		}
	}
	return false
}

// keyAuthorizes reports whether key k may sign mappings of code in namespace ns: k is
// the root key of a namespace with a root certificate, or the target of a namespace
// delegation allowing code that was signed by a key which may (still) sign namespace
// delegations in ns.
func (h *head) keyAuthorizes(ns, k crypto.Fingerprint, code pb.MappingCode, visited map[crypto.Fingerprint]bool) bool {
	root := h.nds[ns][ns]
	if root == nil || visited[k] {
		return false
	}
	visited[k] = true
	d := h.nds[ns][k]
	if d == nil || !allows(d, code) {
		return false
	}
	if k == ns {
		return true
	}
	for _, s := range d.stx.SignedBy() {
		if h.keyAuthorizes(ns, s, pb.MappingCode_MAPPING_CODE_NAMESPACE_DELEGATION, visited) {
			return true
		}
	}
	return false
}

// allows reports whether a namespace delegation's restriction admits code.
func allows(d *entry, code pb.MappingCode) bool {
	r := d.mapping().GetNamespaceDelegation().GetRestriction()
	switch r.GetKind() {
	case pb.RestrictionKind_RESTRICTION_KIND_ALL:
		return true
	case pb.RestrictionKind_RESTRICTION_KIND_ALL_BUT_NAMESPACE_DELEGATIONS:
		return code != pb.MappingCode_MAPPING_CODE_NAMESPACE_DELEGATION
	case pb.RestrictionKind_RESTRICTION_KIND_SPECIFIC:
		_, ok := slices.BinarySearch(r.Mappings, code)
		return ok
	}
	return false
}

// identifierDelegable reports whether an identifier delegation may authorize code:
// every mapping about an identifier, not the namespace-level ones.
func identifierDelegable(code pb.MappingCode) bool {
	switch code {
	case pb.MappingCode_MAPPING_CODE_NAMESPACE_DELEGATION,
		pb.MappingCode_MAPPING_CODE_IDENTIFIER_DELEGATION,
		pb.MappingCode_MAPPING_CODE_DECENTRALIZED_NAMESPACE_DEFINITION:
		return false
	}
	return true
}
