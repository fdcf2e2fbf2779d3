package participant

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant/commitments"
	"github.com/cometsync/cometsync/participant/engine"
	"github.com/cometsync/cometsync/participant/ledgerapi"
	"github.com/cometsync/cometsync/participant/snapshot"
	"github.com/cometsync/cometsync/participant/store"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/protocol"
)

// Party replication: adding a host to a party that already has contracts.
//
// The sequence (docs/recovering-from-the-chain.md, "Party replication"):
//
//  1. The party's PartyToParticipant adds the new host with Observation permission: from
//     the change's effective time on, the new host receives the party's views but does
//     not confirm for it.
//  2. A current host exports the party's ACS at its first reconciliation tick after the
//     change (ExportParty): a snapshot filtered to the party, signed by the source. Its
//     tick T is the import point: the snapshot is the source's ACS after every event
//     sequenced at or before T.
//  3. The new host checks the snapshot (CheckImport: signature, the source hosts the party
//     at T, the new host too, and the source's ACS commitment to the new host for the
//     period holding T, which the new host received from the chain), then is restarted
//     with the import in its configuration (Config.Imports) over an empty database: it
//     replays its stream from counter 0 and imports the contracts right before the first
//     event of its stream sequenced after T.
//  4. The party's PartyToParticipant raises the new host to Submission or Confirmation.
//
// # The import point and transactions in flight
//
// Importing at exactly the first event after T makes the result independent of when the
// operator ran the import: every event at or before T was applied without the party's
// old contracts (its transactions that consumed one were not committed here, but their
// effects are in the snapshot, which reflects them), every event after T is applied on
// top of them. A contract the new host already has active with the same content (it
// observed the creation between the change and T) is not imported twice; one it knows
// with other content, or saw archived, refuses the import (engine.ErrImportConflict). A
// request sequenced before T and decided after it that consumes an old contract (in flight
// across the import point) is re-armed by the import (engine.Import) and commits here on
// the mediator's approval, so it is not lost.
//
// # Replay
//
// Because the import happens at a point of the stream fixed by the snapshot (not by the
// wall clock), a later recovery by replay rebuilds the same ACS provided it is given the
// same import: a participant home keeps the snapshot file (see the daemon), and a node
// started with it over an empty database applies it at the same point. A node restarted
// over its database finds the import's update (by the snapshot's digest) and does not
// apply it again.

// PartyImport is a party's ACS snapshot to import at the snapshot's tick (Config.Imports).
type PartyImport struct {
	Party    ledger.Party
	Snapshot *snapshot.Snapshot
}

// Errors of a party import that is refused (besides the snapshot package's errors, and
// engine.ErrImportConflict).
var (
	// ErrSignerNotHost: the snapshot's signer does not host the party at the tick.
	ErrSignerNotHost = errors.New("the snapshot's signer does not host the party at its tick")
	// ErrNotHostHere: this participant does not host the party at the snapshot's tick
	// (the PartyToParticipant change adding it must be effective before the tick).
	ErrNotHostHere = errors.New("this participant does not host the party at the snapshot's tick")
	// ErrNotForParty: the snapshot was not filtered to the party, or holds a contract
	// without the party as stakeholder.
	ErrNotForParty = errors.New("the snapshot is not the party's")
	// ErrImportRefused wraps the reason an import in Config.Imports was not applied.
	ErrImportRefused = errors.New("party import refused")
)

// Import is the root hash of a party import's update in the update log: the digest of
// the snapshot file.
func importRoot(s *snapshot.Snapshot) protocol.Hash { return sha256.Sum256(s.Encode()) }

// replication is the node's party replication state (under n.mu).
type replication struct {
	// imports are Config.Imports not applied yet, by tick.
	imports []PartyImport
	// reports are the outcomes of the imports applied or refused by this process.
	reports []ImportOutcome
	// export is a pending ExportParty.
	export *exportRequest
	// lastTS is the sequencing time of the last event applied.
	lastTS int64
}

// ImportOutcome is what happened to a party import.
type ImportOutcome struct {
	Party  ledger.Party
	Tick   int64
	Source string // the snapshot's signer
	Offset int64  // of the import's update, when applied
	Report engine.ImportReport
	Err    error // why it was refused (wraps ErrImportRefused)
}

type exportRequest struct {
	parties []string
	done    chan *snapshot.Snapshot
}

// setupReplication keeps the imports the database has not applied yet (called by setup
// with the database's next counter). An import not applied by a database that already
// applied events is refused: the database may be past the import point, and the import
// must be applied there (recover the participant with --wipe: the replay applies it).
func (n *Node) setupReplication(next int64) error {
	n.repl = replication{}
	for _, im := range n.cfg.Imports {
		if im.Snapshot == nil {
			return &ConfigError{Field: "Imports", Reason: "an import without a snapshot"}
		}
		if _, done, err := n.store.UpdateByRoot(importRoot(im.Snapshot)); err != nil {
			return err
		} else if done {
			continue
		}
		if next > 0 {
			err := fmt.Errorf("%w: the database already applied %d events and not this import: rebuild it by replay (cometsync participant recover --wipe) to apply the import at its tick", ErrImportRefused, next)
			n.repl.reports = append(n.repl.reports, ImportOutcome{Party: im.Party, Tick: im.Snapshot.Tick, Source: im.Snapshot.Participant, Err: err})
			n.log.Error("party import refused", "party", im.Party, "tick", im.Snapshot.Tick, "err", err)
			continue
		}
		n.repl.imports = append(n.repl.imports, im)
	}
	slices.SortStableFunc(n.repl.imports, func(a, b PartyImport) int { return cmp.Compare(a.Snapshot.Tick, b.Snapshot.Tick) })
	return nil
}

// applyImports imports, before the event ev, every party import whose tick is before
// ev's time, and returns their updates (called under n.mu from Apply, before the
// commitment tick, so the commitment for the period ending at the tick covers them). A
// refused import is logged and kept in ImportOutcomes; the node goes on.
func (n *Node) applyImports(ev *pb.SequencedEvent) []engine.Update {
	var ups []engine.Update
	for len(n.repl.imports) > 0 && n.repl.imports[0].Snapshot.Tick < ev.TimestampMicros {
		im := n.repl.imports[0]
		n.repl.imports = n.repl.imports[1:]
		out := ImportOutcome{Party: im.Party, Tick: im.Snapshot.Tick, Source: im.Snapshot.Participant}
		err := n.verifyImport(im)
		var u engine.Update
		if err == nil {
			u, out.Report, err = n.eng.Import(engine.Import{At: im.Snapshot.Tick, Root: importRoot(im.Snapshot),
				Contracts: im.Snapshot.Contracts, Known: n.knownContract})
		}
		if err != nil {
			out.Err = fmt.Errorf("%w: %w", ErrImportRefused, err)
			n.log.Error("party import refused", "party", im.Party, "tick", im.Snapshot.Tick, "source", im.Snapshot.Participant, "err", err)
		} else {
			out.Offset = u.Offset
			n.acs.Apply(u.Created, nil)
			ups = append(ups, u)
			n.log.Info("party imported", "party", im.Party, "tick", im.Snapshot.Tick, "source", im.Snapshot.Participant,
				"offset", u.Offset, "imported", len(out.Report.Imported), "already_active", len(out.Report.AlreadyActive),
				"rearmed", len(out.Report.Rearmed))
		}
		n.repl.reports = append(n.repl.reports, out)
	}
	n.repl.lastTS = ev.TimestampMicros
	return ups
}

func (n *Node) knownContract(id ledger.ContractID) (*ledger.Contract, bool) {
	c, ok, err := n.store.Contract(id)
	if err != nil {
		n.log.Error("read contract", "contract", id, "err", err)
	}
	return c, ok
}

// verifyImport checks a party import against the topology at the snapshot's tick
// (which the node must have followed past): the snapshot is for this synchronizer and
// signed by its participant, which hosts the party at the tick, as does this participant,
// and it is the party's (filtered to it, every contract with the party as stakeholder).
func (n *Node) verifyImport(im PartyImport) error {
	s := im.Snapshot
	if err := s.Verify(onChain{n.topo}, n.client.SynchronizerID()); err != nil {
		return err
	}
	if !slices.Equal(s.Parties, []string{string(im.Party)}) {
		return fmt.Errorf("%w: filtered to %v, want %s", ErrNotForParty, s.Parties, im.Party)
	}
	for _, c := range s.Contracts {
		if !slices.Contains(c.Stakeholders(), im.Party) {
			return fmt.Errorf("%w: contract %s has no stakeholder %s", ErrNotForParty, c.ID, im.Party)
		}
	}
	hosts := hosting{n.topo.SnapshotAt(s.Tick)}.Participants(string(im.Party))
	if !slices.Contains(hosts, s.Participant) {
		return fmt.Errorf("%w: %s does not host %s at %d (hosts %v)", ErrSignerNotHost, s.Participant, im.Party, s.Tick, hosts)
	}
	if me := n.cfg.Driver.Member; !slices.Contains(hosts, me) {
		return fmt.Errorf("%w: %s at %d (hosts %v)", ErrNotHostHere, im.Party, s.Tick, hosts)
	}
	return nil
}

// CheckImport checks a party import on the running node before it is configured: it
// waits until the node followed its stream past the snapshot's tick, verifies the
// snapshot as the import will (signature, hosting, filter), and verifies the snapshot's
// contracts against the ACS commitments the source sent this participant for a period
// holding the tick, if it received one (Report.Checked names the source then).
func (n *Node) CheckImport(ctx context.Context, im PartyImport) (snapshot.Report, error) {
	if im.Snapshot == nil {
		return snapshot.Report{}, fmt.Errorf("%w: no snapshot", ErrNotForParty)
	}
	s := im.Snapshot
	if err := n.await(ctx, func() bool { return n.repl.lastTS > s.Tick }); err != nil {
		return snapshot.Report{}, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.verifyImport(im); err != nil {
		return snapshot.Report{}, err
	}
	var seq []snapshot.Sequenced
	for _, o := range n.acsOutcomes {
		if o.Counter == s.Participant && o.Start < s.Tick && o.End == s.Tick { // their hash is their state at o.End
			seq = append(seq, snapshot.Sequenced{From: s.Participant, To: n.cfg.Driver.Member, Start: o.Start, End: o.End, Hash: o.Their})
		}
	}
	return s.VerifyAgainstCommitments(tickTopology{n, s.Tick}, seq)
}

// tickTopology answers snapshot.Topology from the node's topology at a tick.
type tickTopology struct {
	n  *Node
	at int64
}

func (t tickTopology) Hosts(party string) []string {
	return hosting{t.n.topo.SnapshotAt(t.at)}.Participants(party)
}

func (t tickTopology) HostedParties(participant string) []string {
	var out []string
	for _, hp := range t.n.topo.SnapshotAt(t.at).HostedParties(participant) {
		out = append(out, hp.Party)
	}
	return out
}

// ImportOutcomes returns what happened to the party imports this process applied or
// refused.
func (n *Node) ImportOutcomes() []ImportOutcome {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.repl.reports)
}

// WaitImport waits until im (one of Config.Imports) was applied or refused.
func (n *Node) WaitImport(ctx context.Context, im PartyImport) (ImportOutcome, error) {
	var found ImportOutcome
	err := n.await(ctx, func() bool {
		for _, o := range n.repl.reports {
			if o.Party == im.Party && o.Tick == im.Snapshot.Tick && o.Source == im.Snapshot.Participant {
				found = o
				return true
			}
		}
		return false
	})
	return found, err
}

// ExportParty returns the snapshot of the active contracts with a stakeholder among
// parties at the node's first reconciliation tick after its current position, signed by
// this participant. It waits for an event after that tick (any traffic: the node's
// stream must move).
func (n *Node) ExportParty(ctx context.Context, parties []ledger.Party) (*snapshot.Snapshot, error) {
	if len(parties) == 0 {
		return nil, fmt.Errorf("%w: no party to export", ErrNotForParty)
	}
	req := &exportRequest{done: make(chan *snapshot.Snapshot, 1)}
	for _, p := range parties {
		req.parties = append(req.parties, string(p))
	}
	n.mu.Lock()
	if n.repl.export != nil {
		n.mu.Unlock()
		return nil, fmt.Errorf("%w: another export is already waiting for its tick: try again once it is done", ledgerapi.ErrSnapshotUnavailable)
	}
	n.repl.export = req
	n.mu.Unlock()
	select {
	case s := <-req.done:
		return s, nil
	case <-ctx.Done():
		n.mu.Lock()
		if n.repl.export == req {
			n.repl.export = nil
		}
		n.mu.Unlock()
		return nil, ctx.Err()
	}
}

// captureExport takes a pending export at the tick ev crosses (called under n.mu from
// Apply, after the commitment tick and before ev is applied: the ACS is the state at the
// tick).
func (n *Node) captureExport(ev *pb.SequencedEvent, ticked bool) {
	req := n.repl.export
	if req == nil || !ticked {
		return
	}
	interval := n.topo.SnapshotAt(ev.TimestampMicros).ProtocolParameters().ReconciliationInterval.Microseconds()
	tick := commitments.TickBefore(ev.TimestampMicros, interval)
	s := snapshot.New(n.client.SynchronizerID(), n.cfg.Driver.Member, tick, ev.Counter, ev.TimestampMicros, n.eng.LastOffset(), n.eng.ACS(), req.parties)
	s.Sign(n.cfg.Driver.SigningKey)
	n.repl.export = nil
	req.done <- s
}

// offboard drops, at a reconciliation tick that an event at ts crosses, the active
// contracts none of whose stakeholders this participant hosts any more, when it stopped
// hosting a party since the previous tick (called under n.mu from Apply, before the
// commitment tick, so the commitment for the period ending at the tick leaves them out,
// as the counter-participants' do). The previous tick is the commitment tracker's (kept
// in the database), so a replay drops the same contracts at the same tick.
func (n *Node) offboard(ts int64) []engine.Update {
	interval := n.topo.SnapshotAt(ts).ProtocolParameters().ReconciliationInterval.Microseconds()
	if !n.acs.Due(ts, interval) {
		return nil
	}
	me := n.cfg.Driver.Member
	prev, tick := n.acs.State().LastTick, commitments.TickBefore(ts, interval)
	now := map[string]bool{}
	for _, hp := range n.topo.SnapshotAt(tick).HostedParties(me) {
		now[hp.Party] = true
	}
	lost := false
	for _, hp := range n.topo.SnapshotAt(prev).HostedParties(me) {
		lost = lost || !now[hp.Party]
	}
	if !lost {
		return nil
	}
	u, ok := n.eng.Offboard(tick, sha256.Sum256([]byte(fmt.Sprintf("offboard/%s/%d", me, tick))))
	if !ok {
		return nil
	}
	n.acs.Apply(nil, u.Archived)
	n.log.Info("contracts of parties no longer hosted dropped", "tick", tick, "offset", u.Offset, "contracts", len(u.Archived))
	return []engine.Update{u}
}

// ImportsDir is the directory of a participant home that keeps the party imports
// (`cometsync parties replicate` writes them; the participant loads them at every start,
// so a recovery by replay applies them again).
const ImportsDir = "imports"

// importExt is the file name extension of a party import in ImportsDir.
const importExt = ".acs"

// LoadImports reads the party imports in dir (none when dir does not exist), in file
// name order. Each is a snapshot file filtered to exactly one party.
func LoadImports(dir string) ([]PartyImport, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []PartyImport
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), importExt) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		im, err := DecodeImport(b)
		if err != nil {
			return nil, fmt.Errorf("party import %s: %w", filepath.Join(dir, e.Name()), err)
		}
		out = append(out, im)
	}
	return out, nil
}

// DecodeImport decodes a snapshot file as a party import: it must be filtered to exactly
// one party.
func DecodeImport(b []byte) (PartyImport, error) {
	s, err := snapshot.Decode(b)
	if err != nil {
		return PartyImport{}, err
	}
	if len(s.Parties) != 1 {
		return PartyImport{}, fmt.Errorf("%w: filtered to %d parties (%v), want exactly one", ErrNotForParty, len(s.Parties), s.Parties)
	}
	return PartyImport{Party: ledger.Party(s.Parties[0]), Snapshot: s}, nil
}

// WriteImport keeps im in dir (ImportsDir of a participant home) and returns the file.
func WriteImport(dir string, im PartyImport) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	name := filepath.Join(dir, fmt.Sprintf("%020d-%s%s", im.Snapshot.Tick, importRoot(im.Snapshot).Short(), importExt))
	return name, os.WriteFile(name, im.Snapshot.Encode(), 0o600)
}

// replicationHostWait bounds how long ExportForReplication waits for the new host to
// show in this participant's topology (the change adding it may be sequenced and not
// yet read here).
const replicationHostWait = 20 * time.Second

// replicationTicks bounds the reconciliation ticks ExportForReplication takes while the
// new host does not host the party at the tick yet (a change not effective yet).
const replicationTicks = 5

// ExportForReplication returns party's snapshot for newHost to import (`parties
// replicate --from-ledger-api`): taken at this participant's first reconciliation tick
// at which it and newHost both host the party. It refuses a party this participant does
// not host, and waits (replicationHostWait) until newHost hosts the party here, as an
// observer at least; while it waits for the tick it sends itself time proofs, so its
// stream crosses the tick without other traffic. Errors an operator can act on wrap
// ledgerapi.ErrSnapshotUnavailable.
func (n *Node) ExportForReplication(ctx context.Context, party ledger.Party, newHost string) (*snapshot.Snapshot, error) {
	me := n.cfg.Driver.Member
	hostsNow := func() (hosts []string) {
		n.mu.Lock()
		defer n.mu.Unlock()
		return hosting{n.topo.Head()}.Participants(string(party))
	}
	if !slices.Contains(hostsNow(), me) {
		return nil, fmt.Errorf("%w: %s does not host %s (hosts %v): export from one of its hosts", ledgerapi.ErrSnapshotUnavailable, me, party, hostsNow())
	}
	if newHost != "" {
		wctx, cancel := context.WithTimeout(ctx, replicationHostWait)
		err := n.await(wctx, func() bool { return slices.Contains(hosting{n.topo.Head()}.Participants(string(party)), newHost) })
		cancel()
		if err != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("%w: %s does not host %s in %s's topology after %v (hosts %v): add it as an observer first (cometsync parties enable %s --participant %s=observation ...)",
				ledgerapi.ErrSnapshotUnavailable, newHost, party, me, replicationHostWait, hostsNow(), party, newHost)
		}
		if err != nil {
			return nil, err
		}
	}
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	go n.moveStream(pctx)
	for range replicationTicks {
		s, err := n.ExportParty(ctx, []ledger.Party{party})
		if err != nil {
			return nil, err
		}
		n.mu.Lock()
		hosts := hosting{n.topo.SnapshotAt(s.Tick)}.Participants(string(party))
		n.mu.Unlock()
		switch {
		case !slices.Contains(hosts, me):
			return nil, fmt.Errorf("%w: %s no longer hosts %s at tick %d (hosts %v)", ledgerapi.ErrSnapshotUnavailable, me, party, s.Tick, hosts)
		case newHost == "" || slices.Contains(hosts, newHost):
			return s, nil
		}
	}
	return nil, fmt.Errorf("%w: %s did not host %s at %d reconciliation ticks of %s in a row: is the change adding it effective?",
		ledgerapi.ErrSnapshotUnavailable, newHost, party, replicationTicks, me)
}

// moveStream sends the participant empty batches (time proofs), one at a time paced at a
// quarter of the reconciliation interval (100 ms to 5 s), until ctx ends: each receipt is
// an event of its stream with the sequencer's time, so a pending ExportParty sees its
// tick pass on a quiet synchronizer.
func (n *Node) moveStream(ctx context.Context) {
	for {
		n.mu.Lock()
		pace := n.topo.Head().ProtocolParameters().ReconciliationInterval / 4
		n.mu.Unlock()
		pace = min(max(pace, 100*time.Millisecond), 5*time.Second)
		if _, err := n.client.SendAndWait(ctx, &pb.Batch{}, driver.SendOptions{}); err != nil && ctx.Err() == nil {
			n.log.Warn("time proof for an export failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pace): // pacing the proofs, not waiting for an outcome
		}
	}
}

// ExportACSSnapshot implements ledgerapi.SnapshotBackend: a stored tick's snapshot, the
// next tick's, or one for party replication (ExportForReplication).
func (b LedgerBackend) ExportACSSnapshot(ctx context.Context, req ledgerapi.SnapshotRequest) (*snapshot.Snapshot, error) {
	switch {
	case req.NewHost != "":
		return b.N.ExportForReplication(ctx, ledger.Party(req.Parties[0]), req.NewHost)
	case req.NextTick:
		ctx, stop := context.WithCancel(ctx)
		defer stop()
		go b.N.moveStream(ctx)
		ps := make([]ledger.Party, 0, len(req.Parties))
		for _, p := range req.Parties {
			ps = append(ps, ledger.Party(p))
		}
		if len(ps) == 0 {
			return nil, fmt.Errorf("%w: the next tick's snapshot is for parties: name them", ledgerapi.ErrInvalidArgument)
		}
		return b.N.ExportParty(ctx, ps)
	}
	s, err := b.N.ExportSnapshot(req.Tick, req.Parties)
	if errors.Is(err, store.ErrNoTick) {
		return nil, fmt.Errorf("%w: %w (a tick is recorded at each reconciliation tick the participant's stream crosses with no request in flight: ask for the next tick instead)", ledgerapi.ErrSnapshotUnavailable, err)
	}
	return s, err
}

// PartyImports implements ledgerapi.SnapshotBackend.
func (b LedgerBackend) PartyImports() []ledgerapi.PartyImportStatus {
	var out []ledgerapi.PartyImportStatus
	for _, o := range b.N.ImportOutcomes() {
		out = append(out, ledgerapi.PartyImportStatus{Party: string(o.Party), Source: o.Source, Tick: o.Tick, Offset: o.Offset,
			Imported: len(o.Report.Imported), AlreadyActive: len(o.Report.AlreadyActive), Rearmed: len(o.Report.Rearmed), Err: o.Err})
	}
	return out
}
