package topology

import "github.com/cometsync/cometsync/crypto"

// EncryptionKeysOf answers "which key do I seal to for member" from a snapshot's
// OwnerToKeyMappings: the first key of a scheme this code implements.
type EncryptionKeysOf struct{ Snapshot *Snapshot }

// EncryptionKey returns member's encryption key in force in the snapshot.
func (k EncryptionKeysOf) EncryptionKey(member string) (crypto.EncryptionPublicKey, bool) {
	for _, e := range k.Snapshot.EncryptionKeys(member) {
		pub := crypto.EncryptionPublicKey{Scheme: crypto.EncryptionScheme(e.Scheme), Key: e.Key}
		if pub.Scheme == crypto.SchemeMLKEM768X25519 || pub.Scheme == crypto.SchemeX25519 {
			return pub, true
		}
	}
	return crypto.EncryptionPublicKey{}, false
}
