package engine

import (
	"slices"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
)

// PurposeACSHash is the hash purpose of ACSHash.
const PurposeACSHash crypto.Purpose = 170

// ACSHash commits to an active contract set: every contract's id and canonical encoding,
// in id order. Two participants, or one before and after a replay, with the same
// contracts have the same hash.
func ACSHash(acs ledger.ContractMap) []byte {
	ids := make([]ledger.ContractID, 0, len(acs))
	for id := range acs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	h := crypto.NewHasher(PurposeACSHash).AddUint32(uint32(len(ids)))
	for _, id := range ids {
		h.AddString(string(id)).AddBytes(ledger.EncodeContract(acs[id]))
	}
	return h.Sum()
}
