package ledgerapi

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/cometsync/cometsync/ledger"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

type stateService struct{ s *Server }

// CreatedEventBlobs is implemented by a Backend that keeps its contracts' creating
// seeds: GetActiveContracts then returns each contract's created_event_blob.
type CreatedEventBlobs interface {
	// CreatedEventBlob returns ledger.EncodeCreatedEventBlob of c, nil when unknown.
	CreatedEventBlob(c *ledger.Contract) []byte
}

// GetActiveContracts returns the active contracts (sorted by id) with a stakeholder among
// the parties the caller reads (see caller.readFilter), of one template when requested.
func (st stateService) GetActiveContracts(ctx context.Context, req *pb.GetActiveContractsRequest) (*pb.GetActiveContractsResponse, error) {
	who, err := callerOf(ctx)
	if err != nil {
		return nil, statusOf(err)
	}
	f, err := who.readFilter(req.Parties)
	if err != nil {
		return nil, statusOf(err)
	}
	pkgs := st.s.backend.Packages()
	match, err := templateMatcher(pkgs, req.Template)
	if err != nil {
		return nil, statusOf(withMeta(err, MetaField, "template", MetaTemplate, req.Template))
	}
	acs, offset := st.s.backend.ActiveContracts()
	blobs, _ := st.s.backend.(CreatedEventBlobs)
	resp := &pb.GetActiveContractsResponse{Offset: offset}
	for _, id := range slices.Sorted(maps.Keys(acs)) {
		c := acs[id]
		if !f.visible(c) || !match(c.Template) {
			continue
		}
		ac, err := activeContractPB(pkgs, c)
		if err != nil {
			return nil, statusOf(err)
		}
		if blobs != nil {
			ac.CreatedEventBlob = blobs.CreatedEventBlob(c)
		}
		resp.Contracts = append(resp.Contracts, ac)
	}
	return resp, nil
}

// templateMatcher matches every template when ref is empty, templates of that name when
// ref has no colon, and the one template ref resolves to otherwise ("pkg:Template" with a
// package id or name).
func templateMatcher(pkgs *ledger.PackageSet, ref string) (func(ledger.TemplateID) bool, error) {
	switch {
	case ref == "":
		return func(ledger.TemplateID) bool { return true }, nil
	case !strings.Contains(ref, ":"):
		return func(t ledger.TemplateID) bool { return t.Name == ref }, nil
	}
	want, err := pkgs.ResolveTemplate(ref)
	if err != nil {
		return nil, err
	}
	return func(t ledger.TemplateID) bool { return t == want }, nil
}

// GetLedgerEnd returns the offset of the last committed update and the pruned offset;
// any user may call it.
func (st stateService) GetLedgerEnd(ctx context.Context, _ *pb.GetLedgerEndRequest) (*pb.GetLedgerEndResponse, error) {
	if _, err := callerOf(ctx); err != nil {
		return nil, statusOf(err)
	}
	return &pb.GetLedgerEndResponse{Offset: st.s.backend.LedgerEnd(), PrunedOffset: prunedOffsetOf(st.s.backend)}, nil
}
