package ledgerapi

import (
	"context"

	"github.com/cometsync/cometsync/ledger"
)

// Update is one committed transaction at this participant, at its offset (offsets start
// at 1 and have no gaps).
type Update struct {
	Offset    int64
	RequestID int64 // sequencing time of the confirmation request, µs
	RootHash  string
	Created   []*ledger.Contract
	Archived  []ledger.ContractID
}

// SubmitOptions identify a command for deduplication: with its actAs parties, the user
// and the command id form its change id. An empty CommandID means no deduplication.
type SubmitOptions struct {
	User      string
	CommandID string
	// Disclosed are the command's disclosed contracts, decoded and verified.
	Disclosed []ledger.DisclosedContract
}

// Backend is what the Ledger API serves: the participant node (participant.Node
// implements it).
type Backend interface {
	// Packages are the packages the participant runs.
	Packages() *ledger.PackageSet
	// Submit runs cmd through the transaction protocol and returns the update it committed
	// here; an error wrapping participant.ErrRejected when the synchronizer rejected it,
	// a *DuplicateCommandError when opts name a command that already committed.
	Submit(ctx context.Context, cmd ledger.Command, opts SubmitOptions) (Update, error)
	// SubmitAsync submits cmd under opts (CommandID required) and returns once the
	// sequencer took it; its outcome becomes a Completion.
	SubmitAsync(ctx context.Context, cmd ledger.Command, opts SubmitOptions) error
	// CompletionsFrom returns the completions with offsets >= from, waiting until at
	// least one exists or ctx ends.
	CompletionsFrom(ctx context.Context, from int64) ([]Completion, error)
	// ActiveContracts returns the active contract set and the offset it is as of.
	ActiveContracts() (ledger.ContractMap, int64)
	// LedgerEnd is the offset of the last committed update (0 when none).
	LedgerEnd() int64
	// Contract returns any contract ever created at this participant (archived ones too).
	Contract(id ledger.ContractID) (*ledger.Contract, bool)
	// UpdatesFrom returns the committed updates with offsets >= from, waiting until at
	// least one exists or ctx ends.
	UpdatesFrom(ctx context.Context, from int64) ([]Update, error)
	// UpdateAt returns the committed update at offset; false when there is none (yet).
	UpdateAt(offset int64) (Update, bool, error)
	// UpdateByID returns the committed update whose root hash, in lowercase hex, is id;
	// false when there is none.
	UpdateByID(id string) (Update, bool, error)
	// AllocateParty hosts a new party hint::<participant namespace> here and waits until
	// it is on-chain.
	AllocateParty(ctx context.Context, hint string) (ledger.Party, error)
	// HostedParties lists the parties this participant hosts.
	HostedParties() []ledger.Party
}
