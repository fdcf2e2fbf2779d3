package topology

import (
	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
)

// verify checks every signature of stx. A signing key must be named by the transaction
// itself (a delegation target, a key of an OwnerToKeyMapping) or by a delegation or
// OwnerToKeyMapping in force at the head.
func (h *head) verify(stx *SignedTransaction) error {
	embedded := embeddedKeys(stx.Tx)
	msg := crypto.HashBytes(crypto.PurposeTopologySignature, stx.Tx.hash)
	for _, sig := range stx.Signatures {
		key, ok := embedded[sig.Key]
		if !ok {
			ref := h.keys[sig.Key]
			if ref == nil {
				return &SignatureError{Key: sig.Key, Reason: "unknown key"}
			}
			key = ref.key
		}
		if err := key.VerifyHash(msg, sig.Sig); err != nil {
			return &SignatureError{Key: sig.Key, Reason: "does not verify"}
		}
	}
	return nil
}

// embeddedKeys returns the signing keys a transaction names.
func embeddedKeys(tx *Transaction) map[crypto.Fingerprint]crypto.SigningPublicKey {
	out := make(map[crypto.Fingerprint]crypto.SigningPublicKey)
	add := func(raw []byte) { out[fingerprintOf(raw)] = crypto.SigningPublicKey{Key: raw} }
	switch x := tx.mapping().GetMapping().(type) {
	case *pb.TopologyMapping_NamespaceDelegation:
		add(x.NamespaceDelegation.TargetKey)
	case *pb.TopologyMapping_IdentifierDelegation:
		add(x.IdentifierDelegation.TargetKey)
	case *pb.TopologyMapping_OwnerToKeyMapping:
		for _, k := range x.OwnerToKeyMapping.SigningKeys {
			add(k)
		}
	}
	return out
}
