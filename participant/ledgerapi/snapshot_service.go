package ledgerapi

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"

	"github.com/cometsync/cometsync/participant/snapshot"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// ErrSnapshotUnavailable: the participant cannot take the ACS snapshot asked for (no
// reconciliation tick without a request in flight yet, a tick it did not compute, a party
// it does not host, a new host that does not host the party). codes.FailedPrecondition
// with reason ACS_SNAPSHOT_UNAVAILABLE; the message says what to do.
var ErrSnapshotUnavailable = errors.New("ACS snapshot unavailable")

// ReasonSnapshotUnavailable is ErrSnapshotUnavailable's ErrorInfo reason.
const ReasonSnapshotUnavailable = "ACS_SNAPSHOT_UNAVAILABLE"

func init() {
	reasonTable = append([]reasonRow{{ErrSnapshotUnavailable, codes.FailedPrecondition, ReasonSnapshotUnavailable}}, reasonTable...)
}

// SnapshotRequest is what ExportAcsSnapshot asks of a SnapshotBackend.
type SnapshotRequest struct {
	// Tick of a reconciliation tick the participant computed; 0: the latest one without
	// a request in flight.
	Tick int64
	// NextTick: at the participant's next reconciliation tick (Tick is 0 then).
	NextTick bool
	// Parties filter the contracts (every active contract when empty).
	Parties []string
	// NewHost (party replication, with NextTick and one party): the participant that
	// must host the party at the snapshot's tick besides this one.
	NewHost string
}

// PartyImportStatus is what happened to a party import the participant process applied
// or refused.
type PartyImportStatus struct {
	Party, Source                    string
	Tick, Offset                     int64
	Imported, AlreadyActive, Rearmed int
	Err                              error
}

// SnapshotBackend is implemented by a Backend whose participant exports signed ACS
// snapshots while it runs and imports parties (SnapshotService).
type SnapshotBackend interface {
	// ExportACSSnapshot takes the participant's signed snapshot; errors the caller can
	// act on wrap ErrSnapshotUnavailable.
	ExportACSSnapshot(ctx context.Context, req SnapshotRequest) (*snapshot.Snapshot, error)
	// PartyImports are the outcomes of the party imports of this process, in order.
	PartyImports() []PartyImportStatus
}

type snapshotService struct{ s *Server }

// ExportAcsSnapshot returns the participant's signed ACS snapshot file (ParticipantAdmin).
func (c snapshotService) ExportAcsSnapshot(ctx context.Context, req *pb.ExportAcsSnapshotRequest) (*pb.ExportAcsSnapshotResponse, error) {
	if err := admin(ctx, "exporting an ACS snapshot"); err != nil {
		return nil, err
	}
	var err error
	switch {
	case req.Tick < 0:
		err = fmt.Errorf("%w: tick %d: a reconciliation tick (sequencer microseconds) or 0 for the latest", ErrInvalidArgument, req.Tick)
	case req.NextTick && req.Tick != 0:
		err = fmt.Errorf("%w: next_tick with tick %d: ask for one or the other", ErrInvalidArgument, req.Tick)
	case req.NextTick && len(req.Parties) == 0:
		err = fmt.Errorf("%w: next_tick takes the snapshot of parties: name them", ErrInvalidArgument)
	case req.NewHost != "" && (!req.NextTick || len(req.Parties) != 1):
		err = fmt.Errorf("%w: new_host is for party replication: with next_tick and exactly one party", ErrInvalidArgument)
	}
	if err != nil {
		return nil, statusOf(err)
	}
	src, err := c.snapshots()
	if err != nil {
		return nil, err
	}
	s, err := src.ExportACSSnapshot(ctx, SnapshotRequest{Tick: req.Tick, NextTick: req.NextTick, Parties: req.Parties, NewHost: req.NewHost})
	if err != nil {
		return nil, statusOf(err)
	}
	return &pb.ExportAcsSnapshotResponse{Snapshot: s.Encode(), Participant: s.Participant, Tick: s.Tick,
		NextCounter: s.NextCounter, LedgerOffset: s.Offset, Contracts: int64(len(s.Contracts))}, nil
}

// ListPartyImports lists the outcomes of this process's party imports (ParticipantAdmin).
func (c snapshotService) ListPartyImports(ctx context.Context, _ *pb.ListPartyImportsRequest) (*pb.ListPartyImportsResponse, error) {
	if err := admin(ctx, "listing party imports"); err != nil {
		return nil, err
	}
	src, err := c.snapshots()
	if err != nil {
		return nil, err
	}
	out := &pb.ListPartyImportsResponse{}
	for _, im := range src.PartyImports() {
		p := &pb.PartyImport{Party: im.Party, Tick: im.Tick, Source: im.Source, Offset: im.Offset,
			Imported: int64(im.Imported), AlreadyActive: int64(im.AlreadyActive), Rearmed: int64(im.Rearmed)}
		if im.Err != nil {
			p.Error = im.Err.Error()
		}
		out.Imports = append(out.Imports, p)
	}
	return out, nil
}

// admin refuses a caller without the ParticipantAdmin right.
func admin(ctx context.Context, what string) error {
	who, err := callerOf(ctx)
	if err != nil {
		return statusOf(err)
	}
	return statusOf(who.requireAdmin(what))
}

// snapshots returns the backend as a SnapshotBackend.
func (c snapshotService) snapshots() (SnapshotBackend, error) {
	src, ok := c.s.backend.(SnapshotBackend)
	if !ok {
		return nil, statusOf(fmt.Errorf("%w: this participant does not export ACS snapshots", ErrSnapshotUnavailable))
	}
	return src, nil
}
