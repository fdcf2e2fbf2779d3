package protocol

import (
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/proto/protocolpb"
)

// EncodeTree returns the canonical wire encoding of t (a protocolpb.TransactionTree with
// the views flattened in pre-order). DecodeTree accepts exactly these bytes.
func EncodeTree(t *Tree) []byte {
	m := &protocolpb.TransactionTree{
		CommonMetadata: commonMetadataPB(&t.CommonMetadata),
		RootViewCount:  uint32(len(t.Views)),
	}
	if t.Submitter != nil {
		m.SubmitterMetadata = submitterMetadataPB(t.Submitter)
	} else {
		m.SubmitterMetadataHash = clone(t.SubmitterHash[:])
	}
	for _, v := range t.Views {
		m.Views = appendTreeView(m.Views, v)
	}
	return mustMarshal(m)
}

func appendTreeView(out []*protocolpb.TreeView, tv *TreeView) []*protocolpb.TreeView {
	if tv.Blinded {
		return append(out, &protocolpb.TreeView{BlindedHash: clone(tv.Hash[:])})
	}
	m := &protocolpb.TreeView{SubviewCount: uint32(len(tv.SubViews))}
	if tv.Common != nil {
		m.Common = commonDataPB(tv.Common)
	} else {
		m.CommonHash = clone(tv.CommonHash[:])
	}
	if tv.Participant != nil {
		m.Participant = participantDataPB(tv.Participant)
	} else {
		m.ParticipantHash = clone(tv.ParticipantHash[:])
	}
	out = append(out, m)
	for _, s := range tv.SubViews {
		out = appendTreeView(out, s)
	}
	return out
}

func commonMetadataPB(c *CommonMetadata) *protocolpb.CommonMetadata {
	return &protocolpb.CommonMetadata{Salt: clone(c.Salt[:]), SynchronizerId: c.SynchronizerID, MediatorGroup: c.MediatorGroup}
}

func submitterMetadataPB(s *SubmitterMetadata) *protocolpb.SubmitterMetadata {
	return &protocolpb.SubmitterMetadata{Salt: clone(s.Salt[:]), SubmittingParticipant: s.SubmittingParticipant,
		Submitters: partyStrings(s.Submitters), LedgerTimeMicros: s.LedgerTime.UnixMicro(), UserId: s.UserID, CommandId: s.CommandID}
}

func commonDataPB(c *CommonData) *protocolpb.ViewCommonData {
	m := &protocolpb.ViewCommonData{Salt: clone(c.Salt[:])}
	for _, i := range c.Informees {
		m.Informees = append(m.Informees, &protocolpb.Informee{Party: string(i.Party), Confirming: i.Confirming})
	}
	return m
}

func participantDataPB(p *ParticipantData) *protocolpb.ViewParticipantData {
	return &protocolpb.ViewParticipantData{
		Salt:             clone(p.Salt[:]),
		Action:           ledger.EncodeNode(p.Action),
		Authorizers:      partyStrings(p.Authorizers),
		Inputs:           encodeContracts(p.Inputs),
		Created:          encodeContracts(p.Created),
		LedgerTimeMicros: p.LedgerTime.UnixMicro(),
		InputSeeds:       inputSeedsPB(p.InputSeeds),
	}
}

func inputSeedsPB(seeds map[ledger.ContractID]ledger.Seed) []*protocolpb.InputSeed {
	var out []*protocolpb.InputSeed
	for _, id := range sortedSeedIDs(seeds) {
		s := seeds[id]
		out = append(out, &protocolpb.InputSeed{ContractId: string(id), Seed: clone(s[:])})
	}
	return out
}

func encodeContracts(cs []*ledger.Contract) [][]byte {
	var out [][]byte
	for _, c := range cs {
		out = append(out, ledger.EncodeContract(c))
	}
	return out
}

func partyStrings(ps ledger.PartySet) []string {
	var out []string
	for _, p := range ps {
		out = append(out, string(p))
	}
	return out
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// marshaler is a generated gogoproto message.
type marshaler interface{ Marshal() ([]byte, error) }

// mustMarshal encodes a generated message; it fails only on a broken generator.
func mustMarshal(m marshaler) []byte {
	b, err := m.Marshal()
	if err != nil {
		panic("protocol: marshal: " + err.Error())
	}
	return b
}
