package mediator

import (
	"bytes"
	"slices"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/mediatorpb"
)

// checkTree checks the informee tree on its own: root hash size, metadata, views.
func (c *Core) checkTree(t *pb.InformeeTree) error {
	malformed := pb.RejectCode_REJECT_CODE_MALFORMED_REQUEST
	md := t.Metadata
	switch {
	case len(t.RootHash) != crypto.HashSize:
		return requestErr(malformed, "root hash has %d bytes, want %d", len(t.RootHash), crypto.HashSize)
	case md == nil:
		return requestErr(malformed, "no metadata")
	case c.cfg.SynchronizerID != "" && md.SynchronizerId != c.cfg.SynchronizerID:
		return requestErr(malformed, "synchronizer %q, want %q", md.SynchronizerId, c.cfg.SynchronizerID)
	case md.MediatorGroup != c.cfg.MediatorGroup:
		return requestErr(malformed, "mediator group %d, want %d", md.MediatorGroup, c.cfg.MediatorGroup)
	case len(t.Views) == 0:
		return requestErr(pb.RejectCode_REJECT_CODE_NO_VIEWS, "the informee tree has no views")
	}
	seen := map[uint32]bool{}
	for _, v := range t.Views {
		if seen[v.Position] {
			return requestErr(malformed, "view position %d appears twice", v.Position)
		}
		seen[v.Position] = true
		if err := checkView(v); err != nil {
			return err
		}
	}
	return nil
}

// checkView requires informees sorted by party, distinct and non-empty, and at least one
// confirming party.
func checkView(v *pb.InformeeView) error {
	confirming := false
	for i, inf := range v.Informees {
		if inf.Party == "" || (i > 0 && v.Informees[i-1].Party >= inf.Party) {
			return requestErr(pb.RejectCode_REJECT_CODE_MALFORMED_REQUEST,
				"view %d: informees not sorted, distinct and non-empty at index %d", v.Position, i)
		}
		confirming = confirming || inf.Confirming
	}
	if !confirming {
		return requestErr(pb.RejectCode_REJECT_CODE_VIEW_WITHOUT_CONFIRMING_PARTY, "view %d has no confirming party", v.Position)
	}
	return nil
}

// checkRootHashes requires at least one root hash message and the tree's root hash in
// every one.
func checkRootHashes(root []byte, msgs []RootHashMessage) error {
	if len(msgs) == 0 {
		return requestErr(pb.RejectCode_REJECT_CODE_MISSING_ROOT_HASH_MESSAGE, "the batch has no root hash message")
	}
	for i, m := range msgs {
		if !bytes.Equal(m.RootHash, root) {
			return requestErr(pb.RejectCode_REJECT_CODE_ROOT_HASH_MISMATCH,
				"root hash message %d announces %x, the informee tree has %x", i, short(m.RootHash), short(root))
		}
	}
	return nil
}

// checkRootHashRecipients requires every participant that confirms for a party to have
// received a root hash message.
func checkRootHashRecipients(views []*view, msgs []RootHashMessage) error {
	var got []string
	for _, m := range msgs {
		got = append(got, m.Recipients...)
	}
	slices.Sort(got)
	for _, v := range views {
		for _, t := range v.parties {
			for _, p := range t.confirmers {
				if _, ok := slices.BinarySearch(got, p); !ok {
					return requestErr(pb.RejectCode_REJECT_CODE_MISSING_ROOT_HASH_MESSAGE,
						"view %d: participant %s hosts confirming party %s and received no root hash message", v.position, p, t.party)
				}
			}
		}
	}
	return nil
}

func short(b []byte) []byte { return b[:min(len(b), 4)] }
