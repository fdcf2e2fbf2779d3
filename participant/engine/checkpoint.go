package engine

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/cometsync/cometsync/ledger"
	mediatorpb "github.com/cometsync/cometsync/proto/mediatorpb"
	"github.com/cometsync/cometsync/protocol"
)

// Checkpoint is the engine's state besides the active contracts: the requests awaiting a
// verdict (their locks follow from them) and the last offset. With the active contracts
// it is everything needed to continue from the next event.
type Checkpoint struct {
	LastOffset int64
	Pending    []PendingRequest // by request id
	Roots      []SeenRoot       // every request's root hash
}

// PendingRequest is a confirmation request awaiting its verdict.
type PendingRequest struct {
	RequestID int64
	RootHash  protocol.Hash
	Consumed  []ledger.ContractID
	Created   [][]byte // ledger.EncodeContract
	// CreatedSeeds are the creating seeds of Created, by id.
	CreatedSeeds map[ledger.ContractID]ledger.Seed `json:",omitempty"`
	Locked       []ledger.ContractID
	Approved     bool
	// MediatorGroup is the group whose verdict counts; Deadline the last sequencing time
	// it counts at (0 in records written before deadlines existed: recomputed from the
	// parameters at the request's time).
	MediatorGroup uint32
	Deadline      int64
	// Votes are the verdicts of the group's mediators received so far, by mediator.
	Votes map[string]mediatorpb.Verdict `json:",omitempty"`
	// Command is the request's command, when this participant submitted it with an id.
	Command *Command `json:",omitempty"`
}

// Checkpoint returns the engine's state besides the active contracts.
func (e *Engine) Checkpoint() Checkpoint {
	cp := Checkpoint{LastOffset: e.offset}
	for id, r := range e.pending {
		cp.Pending = append(cp.Pending, r.persistent(id))
	}
	slices.SortFunc(cp.Pending, func(a, b PendingRequest) int { return cmp.Compare(a.RequestID, b.RequestID) })
	for root, id := range e.roots {
		cp.Roots = append(cp.Roots, SeenRoot{RootHash: root, RequestID: id})
	}
	slices.SortFunc(cp.Roots, func(a, b SeenRoot) int { return cmp.Compare(a.RequestID, b.RequestID) })
	return cp
}

func (r *request) persistent(id int64) PendingRequest {
	pr := PendingRequest{RequestID: id, RootHash: r.root, Consumed: r.consumed, Locked: r.locked, Approved: r.approved,
		MediatorGroup: r.group, Deadline: r.deadline, Votes: maps.Clone(r.votes), Command: r.command, CreatedSeeds: maps.Clone(r.seeds)}
	for _, c := range r.created {
		pr.Created = append(pr.Created, ledger.EncodeContract(c))
	}
	return pr
}

// LastOffset is the offset of the last committed update (0 when none).
func (e *Engine) LastOffset() int64 { return e.offset }

// PendingCount is the number of requests awaiting a verdict.
func (e *Engine) PendingCount() int { return len(e.pending) }

// Restore returns an engine continuing from a checkpoint over the given active
// contracts (copied): the state New plus every event up to the checkpoint would give.
func Restore(cfg Config, acs ledger.ContractMap, cp Checkpoint) (*Engine, error) {
	e, err := New(cfg, acs)
	if err != nil {
		return nil, err
	}
	e.offset = cp.LastOffset
	for _, r := range cp.Roots {
		e.roots[r.RootHash] = r.RequestID
	}
	for _, pr := range cp.Pending {
		r := &request{root: pr.RootHash, consumed: pr.Consumed, locked: pr.Locked, approved: pr.Approved,
			group: pr.MediatorGroup, deadline: pr.Deadline, votes: maps.Clone(pr.Votes), command: pr.Command, seeds: maps.Clone(pr.CreatedSeeds)}
		if r.deadline == 0 {
			r.deadline = cfg.Topology.Parameters(pr.RequestID).Deadline(pr.RequestID)
		}
		for _, b := range pr.Created {
			c, err := ledger.DecodeContract(b)
			if err != nil {
				return nil, fmt.Errorf("restore request %d: %w", pr.RequestID, err)
			}
			r.created = append(r.created, c)
		}
		for _, id := range r.locked {
			if by, dup := e.locks[id]; dup {
				return nil, fmt.Errorf("restore request %d: contract %s is also locked by %d", pr.RequestID, id, by)
			}
			e.locks[id] = pr.RequestID
		}
		e.pending[pr.RequestID] = r
	}
	return e, nil
}

// Config returns the engine's configuration.
func (e *Engine) Config() Config { return e.cfg }
