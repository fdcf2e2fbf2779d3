package protocol

import (
	"slices"

	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/proto/protocolpb"
)

func decodeCommonMetadata(m *protocolpb.CommonMetadata) (*CommonMetadata, error) {
	if m == nil {
		return nil, malformed("common metadata", "missing")
	}
	salt, err := decodeSalt("common metadata", m.Salt)
	if err != nil {
		return nil, err
	}
	if m.SynchronizerId == "" {
		return nil, malformed("common metadata", "empty synchronizer id")
	}
	return &CommonMetadata{Salt: salt, SynchronizerID: m.SynchronizerId, MediatorGroup: m.MediatorGroup}, nil
}

func decodeSubmitterMetadata(m *protocolpb.SubmitterMetadata) (*SubmitterMetadata, error) {
	const where = "submitter metadata"
	salt, err := decodeSalt(where, m.Salt)
	if err != nil {
		return nil, err
	}
	submitters, err := decodeParties(where+" submitters", m.Submitters)
	if err != nil {
		return nil, err
	}
	if m.SubmittingParticipant == "" || len(submitters) == 0 {
		return nil, malformed(where, "no submitting participant or no submitters")
	}
	return &SubmitterMetadata{Salt: salt, SubmittingParticipant: m.SubmittingParticipant,
		Submitters: submitters, LedgerTime: fromMicros(m.LedgerTimeMicros), UserID: m.UserId, CommandID: m.CommandId}, nil
}

func decodeCommonData(where string, m *protocolpb.ViewCommonData) (*CommonData, error) {
	salt, err := decodeSalt(where+" common data", m.Salt)
	if err != nil {
		return nil, err
	}
	c := &CommonData{Salt: salt}
	for _, i := range m.Informees {
		c.Informees = append(c.Informees, Informee{Party: ledger.Party(i.Party), Confirming: i.Confirming})
	}
	if err := checkInformeeList(c.Informees); err != nil {
		return nil, malformed(where+" informees", "%v", err)
	}
	return c, nil
}

func decodeParticipantData(where string, m *protocolpb.ViewParticipantData) (*ParticipantData, error) {
	where += " participant data"
	p := &ParticipantData{LedgerTime: fromMicros(m.LedgerTimeMicros)}
	var err error
	if p.Salt, err = decodeSalt(where, m.Salt); err != nil {
		return nil, err
	}
	if p.Action, err = ledger.DecodeNode(m.Action); err != nil {
		return nil, malformed(where+" action", "%v", err)
	}
	if p.Authorizers, err = decodeParties(where+" authorizers", m.Authorizers); err != nil {
		return nil, err
	}
	if p.Inputs, err = decodeContracts(where+" inputs", m.Inputs, true); err != nil {
		return nil, err
	}
	if p.Created, err = decodeContracts(where+" created", m.Created, false); err != nil {
		return nil, err
	}
	if p.InputSeeds, err = decodeInputSeeds(where+" input seeds", m.InputSeeds, p.Inputs); err != nil {
		return nil, err
	}
	return p, nil
}

// decodeInputSeeds decodes the disclosed inputs' seeds: strictly sorted by id, each of
// 32 bytes and for one of inputs.
func decodeInputSeeds(where string, ms []*protocolpb.InputSeed, inputs []*ledger.Contract) (map[ledger.ContractID]ledger.Seed, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	out := make(map[ledger.ContractID]ledger.Seed, len(ms))
	for i, m := range ms {
		id := ledger.ContractID(m.ContractId)
		if i > 0 && ms[i-1].ContractId >= m.ContractId {
			return nil, malformed(where, "contract ids not strictly sorted at %s", id)
		}
		if !slices.ContainsFunc(inputs, func(c *ledger.Contract) bool { return c.ID == id }) {
			return nil, malformed(where, "%s is not an input", id)
		}
		var s ledger.Seed
		if len(m.Seed) != len(s) {
			return nil, malformed(where, "seed of %s has %d bytes, want %d", id, len(m.Seed), len(s))
		}
		copy(s[:], m.Seed)
		out[id] = s
	}
	return out, nil
}

// decodeContracts decodes canonical contract encodings; sorted requires strictly
// increasing ids.
func decodeContracts(where string, bs [][]byte, sorted bool) ([]*ledger.Contract, error) {
	var out []*ledger.Contract
	for i, b := range bs {
		c, err := ledger.DecodeContract(b)
		if err != nil {
			return nil, malformed(where, "contract %d: %v", i, err)
		}
		if sorted && i > 0 && out[i-1].ID >= c.ID {
			return nil, malformed(where, "contract ids not strictly sorted at %s", c.ID)
		}
		out = append(out, c)
	}
	return out, nil
}

func decodeParties(where string, ss []string) (ledger.PartySet, error) {
	ps := make(ledger.PartySet, 0, len(ss))
	for _, s := range ss {
		ps = append(ps, ledger.Party(s))
	}
	if err := checkPartySet(ps); err != nil {
		return nil, malformed(where, "%v", err)
	}
	return ps, nil
}
