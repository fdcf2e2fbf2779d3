package topology

import (
	"fmt"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
)

// KeyRegistration returns the topology transactions that put a member's namespace root
// certificate and its signing and encryption keys on-chain (signed by the member's key,
// which is also its namespace key), as envelopes to the topology manager; serials follow
// what the state already holds.
func KeyRegistration(st *State, member crypto.Member, sig crypto.SigningPrivateKey, enc crypto.EncryptionPublicKey) (*pb.Batch, error) {
	head := st.Head()
	b := &pb.Batch{}
	add := func(m *topopb.TopologyMapping, serial uint64) error {
		tx, err := NewTransaction(topopb.Operation_OPERATION_REPLACE, serial, m)
		if err != nil {
			return err
		}
		b.Envelopes = append(b.Envelopes, &pb.Envelope{
			Recipients: []*pb.Recipient{{Group: pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER}},
			Content:    Sign(tx, false, sig).Marshal(),
		})
		return nil
	}
	if _, ok := head.RootCertificate(sig.Fingerprint()); !ok {
		if err := add(NewRootCertificate(sig.Public()), 1); err != nil {
			return nil, err
		}
	}
	serial := uint64(1)
	if otk, ok := head.OwnerToKeys(member.String()); ok {
		for _, e := range otk.EncryptionKeys {
			if e.Scheme == string(enc.Scheme) && string(e.Key) == string(enc.Key) {
				return b, nil // already registered
			}
		}
		serial = st.Serial(OwnerToKeyMappingKey(member.String())) + 1
	}
	otk := NewOwnerToKeyMapping(member, []crypto.SigningPublicKey{sig.Public()}, &topopb.EncryptionKey{Scheme: string(enc.Scheme), Key: enc.Key})
	if err := add(otk, serial); err != nil {
		return nil, fmt.Errorf("owner to key mapping: %w", err)
	}
	return b, nil
}
