package participant

import (
	"slices"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/topology"
)

// hosting answers protocol.Hosting from a topology snapshot: every participant hosting
// a party, whatever its permission, receives the views the party is an informee of.
type hosting struct{ s *topology.Snapshot }

func (h hosting) Participants(party string) []string {
	ptp, ok := h.s.PartyToParticipant(party)
	if !ok {
		return nil
	}
	var out []string
	for _, p := range ptp.Participants {
		out = append(out, p.Participant)
	}
	slices.Sort(out)
	return out
}

// encryptionKeys answers protocol.EncryptionKeys from a snapshot's OwnerToKeyMappings
// (the first key of a scheme this code implements).
type encryptionKeys struct{ s *topology.Snapshot }

func (k encryptionKeys) EncryptionKey(member string) (crypto.EncryptionPublicKey, bool) {
	for _, e := range k.s.EncryptionKeys(member) {
		pub := crypto.EncryptionPublicKey{Scheme: crypto.EncryptionScheme(e.Scheme), Key: e.Key}
		if pub.Scheme == crypto.SchemeMLKEM768X25519 || pub.Scheme == crypto.SchemeX25519 {
			return pub, true
		}
	}
	return crypto.EncryptionPublicKey{}, false
}
