package protocol

import (
	"slices"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
)

// CommonData is the part of a view that the mediator sees: its informees.
type CommonData struct {
	Salt      Seed
	Informees []Informee // sorted by party
}

// Hash returns the common data's node hash.
func (c *CommonData) Hash() Hash {
	h := crypto.NewHasher(PurposeViewCommonData).AddFixed(c.Salt[:]).AddUint32(uint32(len(c.Informees)))
	for _, i := range c.Informees {
		h.AddString(string(i.Party))
		if i.Confirming {
			h.AddFixed([]byte{1})
		} else {
			h.AddFixed([]byte{0})
		}
	}
	return sum(h)
}

// ParticipantData is what the participants hosting a view's informees need to validate it.
type ParticipantData struct {
	// Salt is the view's seed (see Seed).
	Salt Seed
	// Action is the view's action node with its whole subtree, seeds included, so that
	// ledger.Reinterpret can re-run it.
	Action *ledger.Node
	// Authorizers are the parties that authorized Action (Transaction.WalkAuthorizers).
	Authorizers ledger.PartySet
	// Inputs are the contracts the subtree exercises or fetches and does not create,
	// sorted by id; they include contracts created earlier in the transaction outside the
	// view.
	Inputs []*ledger.Contract
	// InputSeeds are the creating seeds of the disclosed inputs (explicit disclosure), by
	// id; nil when none. Each id is an input's, and must derive from the seed and the
	// input's content (CheckConformance).
	InputSeeds map[ledger.ContractID]ledger.Seed
	// Created are the contracts the subtree creates, in execution order (including those
	// it archives again).
	Created []*ledger.Contract
	// LedgerTime is the transaction's ledger time.
	LedgerTime time.Time
}

// Hash returns the participant data's node hash. The action and the contracts enter it in
// their canonical ledger encodings.
func (p *ParticipantData) Hash() Hash {
	h := crypto.NewHasher(PurposeViewParticipantData).AddFixed(p.Salt[:]).AddBytes(ledger.EncodeNode(p.Action))
	addParties(h, p.Authorizers)
	addContracts(h, p.Inputs)
	addContracts(h, p.Created)
	h.AddInt64(p.LedgerTime.UnixMicro())
	if len(p.InputSeeds) > 0 { // absent before disclosure existed: those hashes stay as they were
		ids := sortedSeedIDs(p.InputSeeds)
		h.AddUint32(uint32(len(ids)))
		for _, id := range ids {
			s := p.InputSeeds[id]
			h.AddString(string(id)).AddFixed(s[:])
		}
	}
	return sum(h)
}

// sortedSeedIDs returns the ids of seeds, sorted.
func sortedSeedIDs(seeds map[ledger.ContractID]ledger.Seed) []ledger.ContractID {
	ids := make([]ledger.ContractID, 0, len(seeds))
	for id := range seeds {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func addContracts(h *crypto.Hasher, cs []*ledger.Contract) {
	h.AddUint32(uint32(len(cs)))
	for _, c := range cs {
		h.AddBytes(ledger.EncodeContract(c))
	}
}

// viewHash combines the hashes of a view's parts and of its sub-views.
func viewHash(common, participant Hash, subViews []Hash) Hash {
	h := crypto.NewHasher(PurposeView).AddFixed(common[:]).AddFixed(participant[:])
	return sum(addHashes(h, subViews))
}

// rootHash combines the metadata hashes and the root views' hashes.
func rootHash(common, submitter Hash, roots []Hash) Hash {
	h := crypto.NewHasher(PurposeRootHash).AddFixed(common[:]).AddFixed(submitter[:])
	return sum(addHashes(h, roots))
}
