package topology

import (
	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
)

// head indexes the latest transaction of every unique key: what serials and
// authorization are checked against.
type head struct {
	latest map[UniqueKey]*entry
	// nds: namespace -> target key fingerprint -> active NamespaceDelegation.
	nds map[crypto.Fingerprint]map[crypto.Fingerprint]*entry
	// idds: uid -> target key fingerprint -> active IdentifierDelegation.
	idds map[string]map[crypto.Fingerprint]*entry
	// keys: every signing key an active delegation or OwnerToKeyMapping names.
	keys map[crypto.Fingerprint]*keyRef
}

type keyRef struct {
	key  crypto.SigningPublicKey
	refs int
}

func newHead() *head {
	return &head{
		latest: make(map[UniqueKey]*entry),
		nds:    make(map[crypto.Fingerprint]map[crypto.Fingerprint]*entry),
		idds:   make(map[string]map[crypto.Fingerprint]*entry),
		keys:   make(map[crypto.Fingerprint]*keyRef),
	}
}

// set makes e the latest transaction of its unique key.
func (h *head) set(e *entry) {
	if prev := h.active(e.key()); prev != nil {
		h.index(prev, -1)
	}
	h.latest[e.key()] = e
	if !e.removed() {
		h.index(e, +1)
	}
}

// active returns the mapping in force for k at the head, nil when none or removed.
func (h *head) active(k UniqueKey) *entry {
	if e := h.latest[k]; e != nil && !e.removed() {
		return e
	}
	return nil
}

// serial returns the serial of the latest transaction of k (0 when none).
func (h *head) serial(k UniqueKey) uint64 {
	if e := h.latest[k]; e != nil {
		return e.tx().Serial()
	}
	return 0
}

func (h *head) index(e *entry, delta int) {
	switch x := e.mapping().GetMapping().(type) {
	case *pb.TopologyMapping_NamespaceDelegation:
		d := x.NamespaceDelegation
		indexDelegation(h.nds, crypto.Fingerprint(d.Namespace), d.TargetKey, e, delta)
		h.refKey(d.TargetKey, delta)
	case *pb.TopologyMapping_IdentifierDelegation:
		d := x.IdentifierDelegation
		indexDelegation(h.idds, d.Uid, d.TargetKey, e, delta)
		h.refKey(d.TargetKey, delta)
	case *pb.TopologyMapping_OwnerToKeyMapping:
		for _, k := range x.OwnerToKeyMapping.SigningKeys {
			h.refKey(k, delta)
		}
	}
}

func indexDelegation[K comparable](idx map[K]map[crypto.Fingerprint]*entry, owner K, key []byte, e *entry, delta int) {
	fp := fingerprintOf(key)
	if delta > 0 {
		if idx[owner] == nil {
			idx[owner] = make(map[crypto.Fingerprint]*entry)
		}
		idx[owner][fp] = e
		return
	}
	delete(idx[owner], fp)
	if len(idx[owner]) == 0 {
		delete(idx, owner)
	}
}

func (h *head) refKey(raw []byte, delta int) {
	fp := fingerprintOf(raw)
	r := h.keys[fp]
	if r == nil {
		r = &keyRef{key: crypto.SigningPublicKey{Key: append([]byte(nil), raw...)}}
		h.keys[fp] = r
	}
	r.refs += delta
	if r.refs <= 0 {
		delete(h.keys, fp)
	}
}

// dnd returns the decentralized namespace definition in force for ns, nil when none.
func (h *head) dnd(ns crypto.Fingerprint) *pb.DecentralizedNamespaceDefinition {
	if e := h.active(DecentralizedNamespaceKey(ns)); e != nil {
		return e.mapping().GetDecentralizedNamespaceDefinition()
	}
	return nil
}

// alive reports whether ns has a root certificate or a decentralized definition.
func (h *head) alive(ns crypto.Fingerprint) bool {
	return h.nds[ns][ns] != nil || h.dnd(ns) != nil
}
