package participant

import (
	"context"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant/commitments"
	"github.com/cometsync/cometsync/participant/engine"
	"github.com/cometsync/cometsync/participant/ledgerapi"
	"github.com/cometsync/cometsync/protocol"
)

// Errors of Submit: the transaction was rejected, timed out (no verdict by its deadline;
// discarded everywhere), or this participant may not submit for an actAs party.
var (
	ErrRejected               = ledgerapi.ErrRejected
	ErrTimedOut               = ledgerapi.ErrTimedOut
	ErrSubmitterNotAuthorized = ledgerapi.ErrSubmitterNotAuthorized
)

// LedgerBackend serves the Ledger API from a node.
type LedgerBackend struct{ N *Node }

var _ ledgerapi.Backend = LedgerBackend{}

// Packages implements ledgerapi.Backend.
func (b LedgerBackend) Packages() *ledger.PackageSet { return b.N.cfg.Packages }

// Submit implements ledgerapi.Backend.
func (b LedgerBackend) Submit(ctx context.Context, cmd ledger.Command, opts ledgerapi.SubmitOptions) (ledgerapi.Update, error) {
	c, err := b.N.SubmitCommand(ctx, cmd, opts.User, opts.CommandID, WithDisclosedContracts(opts.Disclosed...))
	if err != nil {
		return ledgerapi.Update{}, err
	}
	us, err := b.N.store.Updates(c.Offset, 1)
	if err != nil {
		return ledgerapi.Update{}, err
	}
	if len(us) == 0 || us[0].Offset != c.Offset {
		return ledgerapi.Update{Offset: c.Offset, RequestID: c.RequestID}, nil
	}
	return apiUpdate(us[0]), nil
}

// SubmitAsync implements ledgerapi.Backend.
func (b LedgerBackend) SubmitAsync(ctx context.Context, cmd ledger.Command, opts ledgerapi.SubmitOptions) error {
	return b.N.SubmitCommandAsync(ctx, cmd, opts.User, opts.CommandID, WithDisclosedContracts(opts.Disclosed...))
}

// CompletionsFrom implements ledgerapi.Backend.
func (b LedgerBackend) CompletionsFrom(ctx context.Context, from int64) ([]ledgerapi.Completion, error) {
	cs, err := b.N.CompletionsFrom(ctx, from)
	out := make([]ledgerapi.Completion, len(cs))
	for i, c := range cs {
		out[i] = ledgerapi.Completion{Offset: c.Offset, UserID: c.UserID, CommandID: c.CommandID, ActAs: c.ActAs, RequestID: c.RequestID,
			Committed: c.Committed, TimedOut: c.TimedOut, Reason: c.Reason, UpdateOffset: c.UpdateOffset}
	}
	return out, err
}

// ActiveContracts implements ledgerapi.Backend.
func (b LedgerBackend) ActiveContracts() (ledger.ContractMap, int64) {
	n := b.N
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make(ledger.ContractMap, len(n.eng.ACS()))
	for id, c := range n.eng.ACS() {
		out[id] = c
	}
	return out, n.eng.LastOffset()
}

// CreatedEventBlob implements ledgerapi.CreatedEventBlobs: the contract's created-event
// blob, nil when this participant does not know its creating seed.
func (b LedgerBackend) CreatedEventBlob(c *ledger.Contract) []byte {
	seed, ok, err := b.N.store.CreationSeed(c.ID)
	if err != nil {
		b.N.log.Error("read contract seed", "contract", c.ID, "err", err)
	}
	if !ok {
		return nil
	}
	return ledger.EncodeCreatedEventBlob(c, seed)
}

// LedgerEnd implements ledgerapi.Backend.
func (b LedgerBackend) LedgerEnd() int64 { return b.N.Progress().LedgerEnd }

// PrunedOffset implements ledgerapi.PrunedOffsetter.
func (b LedgerBackend) PrunedOffset() int64 { return b.N.PrunedOffset() }

// Contract implements ledgerapi.Backend.
func (b LedgerBackend) Contract(id ledger.ContractID) (*ledger.Contract, bool) {
	c, ok, err := b.N.store.Contract(id)
	if err != nil {
		b.N.log.Error("read contract", "contract", id, "err", err)
	}
	return c, ok
}

// updatesPage bounds what one UpdatesFrom call returns.
const updatesPage = 1000

// UpdatesFrom implements ledgerapi.Backend.
func (b LedgerBackend) UpdatesFrom(ctx context.Context, from int64) ([]ledgerapi.Update, error) {
	from = max(from, 1)
	if pruned := b.N.PrunedOffset(); from < pruned {
		return nil, ledgerapi.PrunedError(from, pruned)
	}
	if err := b.N.WaitProgress(ctx, func(p Progress) bool { return p.LedgerEnd >= from }); err != nil {
		return nil, err
	}
	us, err := b.N.store.Updates(from, updatesPage)
	if err != nil {
		return nil, err
	}
	out := make([]ledgerapi.Update, len(us))
	for i, u := range us {
		out[i] = apiUpdate(u)
	}
	return out, nil
}

// UpdateAt implements ledgerapi.Backend.
func (b LedgerBackend) UpdateAt(offset int64) (ledgerapi.Update, bool, error) {
	if offset < 1 {
		return ledgerapi.Update{}, false, nil
	}
	if pruned := b.N.PrunedOffset(); offset < pruned {
		return ledgerapi.Update{}, false, ledgerapi.PrunedError(offset, pruned)
	}
	us, err := b.N.store.Updates(offset, 1)
	if err != nil || len(us) == 0 || us[0].Offset != offset {
		return ledgerapi.Update{}, false, err
	}
	return apiUpdate(us[0]), true, nil
}

// UpdateByID implements ledgerapi.Backend.
func (b LedgerBackend) UpdateByID(id string) (ledgerapi.Update, bool, error) {
	var root protocol.Hash
	if len(id) != hex.EncodedLen(len(root)) || id != strings.ToLower(id) {
		return ledgerapi.Update{}, false, nil
	}
	if _, err := hex.Decode(root[:], []byte(id)); err != nil {
		return ledgerapi.Update{}, false, nil
	}
	u, ok, err := b.N.store.UpdateByRoot(root)
	if !ok {
		return ledgerapi.Update{}, false, err
	}
	return apiUpdate(u), true, nil
}

// AllocateParty implements ledgerapi.Backend.
func (b LedgerBackend) AllocateParty(ctx context.Context, hint string) (ledger.Party, error) {
	return b.N.AllocateParty(ctx, hint)
}

// HostedParties implements ledgerapi.Backend.
func (b LedgerBackend) HostedParties() []ledger.Party {
	n := b.N
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []ledger.Party
	for _, hp := range n.topo.Head().HostedParties(n.cfg.Driver.Member) {
		out = append(out, ledger.Party(hp.Party))
	}
	slices.Sort(out)
	return out
}

func apiUpdate(u engine.Update) ledgerapi.Update {
	return ledgerapi.Update{Offset: u.Offset, RequestID: u.RequestID, RootHash: hex.EncodeToString(u.RootHash[:]),
		Created: u.Created, Archived: u.Archived}
}

// CommitmentOutcomes implements ledgerapi.CommitmentOutcomes.
func (b LedgerBackend) CommitmentOutcomes() []commitments.Outcome { return b.N.CommitmentOutcomes() }

var _ ledgerapi.CommitmentOutcomes = LedgerBackend{}
