package protocol

import (
	"slices"
	"strings"

	mediatorpb "github.com/cometsync/cometsync/proto/mediatorpb"
)

// MediatorRequest turns a decoded informee tree into the confirmation request the
// mediator's aggregation core reads: the root hash the tree recomputes to, the request
// metadata, and every view in pre-order with its position (pre-order index), hash and
// informees sorted by party. The mediator decodes the informee tree it received
// (DecodeInformeeTree, which checks the hashes) and feeds this to its core.
func (it *InformeeTree) MediatorRequest() *mediatorpb.InformeeTree {
	sub, common := it.Tree.Submitter, it.Tree.CommonMetadata
	req := &mediatorpb.InformeeTree{
		RootHash: append([]byte(nil), it.RootHash[:]...),
		Metadata: &mediatorpb.RequestMetadata{
			SubmittingParticipant: sub.SubmittingParticipant,
			LedgerTimeMicros:      sub.LedgerTime.UnixMicro(),
			MediatorGroup:         common.MediatorGroup,
			SynchronizerId:        common.SynchronizerID,
		},
	}
	for _, p := range sub.Submitters {
		req.Metadata.Submitters = append(req.Metadata.Submitters, string(p))
	}
	slices.Sort(req.Metadata.Submitters)
	for i, v := range it.Views {
		iv := &mediatorpb.InformeeView{Position: uint32(i), ViewHash: append([]byte(nil), v.Hash[:]...)}
		for _, inf := range v.Informees {
			iv.Informees = append(iv.Informees, &mediatorpb.Informee{Party: string(inf.Party), Confirming: inf.Confirming})
		}
		slices.SortFunc(iv.Informees, func(a, b *mediatorpb.Informee) int { return strings.Compare(a.Party, b.Party) })
		req.Views = append(req.Views, iv)
	}
	return req
}
