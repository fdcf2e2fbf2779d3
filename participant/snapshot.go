package participant

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant/commitments"
	"github.com/cometsync/cometsync/participant/snapshot"
	"github.com/cometsync/cometsync/participant/store"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/topology"
)

// ErrSnapshotUnverified is returned by WaitSnapshotVerified when its context ended
// before every counter-participant sharing the snapshot's contracts had sequenced a
// commitment for the period holding its tick.
var ErrSnapshotUnverified = errors.New("ACS snapshot not verified by every counter-participant")

// topoAt is the hosting at a time, for package snapshot.
type topoAt struct{ s *topology.Snapshot }

func (t topoAt) Hosts(party string) []string {
	ptp, ok := t.s.PartyToParticipant(party)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(ptp.Participants))
	for _, h := range ptp.Participants {
		out = append(out, h.Participant)
	}
	return out
}

func (t topoAt) HostedParties(participant string) []string {
	var out []string
	for _, h := range t.s.HostedParties(participant) {
		out = append(out, h.Party)
	}
	return out
}

// snapshotCheck is a recovery's verification of the snapshot the database was rebuilt
// from: each counter-participant sharing its contracts must have sequenced a matching
// commitment for the period holding the tick.
type snapshotCheck struct {
	snap     *snapshot.Snapshot
	topo     topoAt
	expected []string // counter-participants sharing the snapshot's contracts, sorted
	verified []string
	err      error
}

// startSnapshotCheck checks the snapshot's signature and form and what it is checked
// against (called in setup, with the database already rebuilt from it).
func (n *Node) startSnapshotCheck(s *snapshot.Snapshot, next int64) error {
	if s.Participant == n.cfg.Driver.Member {
		n.imported.contracts, n.imported.next = len(s.Contracts), s.NextCounter
	}
	me := n.cfg.Driver.Member
	// Signed at export, with the key in force then: checked against the current topology.
	if err := s.VerifyAt(onChain{n.topo}, n.client.SynchronizerID(), math.MaxInt64); err != nil {
		return err
	}
	if s.Participant == me && s.NextCounter != next {
		return fmt.Errorf("the database stands at counter %d, the snapshot at %d", next, s.NextCounter)
	}
	c := &snapshotCheck{snap: s, topo: topoAt{n.topo.SnapshotAt(s.Tick)}}
	if s.Participant != me {
		// A counter-participant's snapshot is checked against its own commitment to this
		// participant, over the contracts they share (those imported).
		if st, err := n.store.Load(); err == nil && len(st.ACS) > 0 {
			c.expected = []string{s.Participant}
		}
		n.snapCheck = c
		n.log.Info("rebuilt from a counter-participant's ACS snapshot: verifying it against its commitment at the tick",
			"tick", s.Tick, "signer", s.Participant)
		return nil
	}
	for _, k := range s.Contracts {
		for _, p := range k.Stakeholders() {
			for _, q := range c.topo.Hosts(string(p)) {
				if q != me && !slices.Contains(c.expected, q) {
					c.expected = append(c.expected, q)
				}
			}
		}
	}
	slices.Sort(c.expected)
	n.snapCheck = c
	n.log.Info("rebuilt from an ACS snapshot: verifying it against the commitments sequenced at its tick",
		"tick", s.Tick, "contracts", len(s.Contracts), "counter_participants", c.expected)
	return nil
}

// snapshotCommitment compares a received commitment with the snapshot being verified,
// when its period holds the tick (called under n.mu).
func (n *Node) snapshotCommitment(c commitments.Commitment) {
	sc := n.snapCheck
	if sc == nil || sc.err != nil || !(c.Start < sc.snap.Tick && sc.snap.Tick <= c.End) {
		return
	}
	r, err := sc.snap.VerifyAgainstCommitments(sc.topo, []snapshot.Sequenced{{From: c.Counter, To: n.cfg.Driver.Member, Start: c.Start, End: c.End, Hash: c.Hash}})
	if err != nil {
		sc.err = err
		n.log.Error("ACS snapshot refused", "err", err)
		return
	}
	// Compared (with this participant's own snapshot, or with the signer's own commitment
	// to this participant): the sender verified it.
	if q := c.Counter; len(r.Checked) > 0 && !slices.Contains(sc.verified, q) {
		sc.verified = append(sc.verified, q)
		slices.Sort(sc.verified)
		n.log.Info("ACS snapshot matches the counter-participant's commitment", "counter_participant", q, "period_start_micros", c.Start, "period_end_micros", c.End)
	}
}

// snapshotFailed is the verification's failure, which stops the stream.
func (n *Node) snapshotFailed() error {
	if n.snapCheck == nil {
		return nil
	}
	return n.snapCheck.err
}

func (c *snapshotCheck) missing() []string {
	var out []string
	for _, q := range c.expected {
		if !slices.Contains(c.verified, q) {
			out = append(out, q)
		}
	}
	return out
}

// WaitSnapshotVerified waits until the node rebuilt from a snapshot
// (Config.VerifySnapshot) is live, having compared every commitment on its stream whose
// period holds the snapshot's tick, and every counter-participant sharing the snapshot's
// contracts has sequenced a matching one; it returns those that matched. It fails with
// the snapshot's ErrCommitmentMismatch when one disagrees; while a counter-participant's
// commitment is missing it waits (ctx bounds it: SnapshotMissing says who).
func (n *Node) WaitSnapshotVerified(ctx context.Context) ([]string, error) {
	var verified []string
	var failed error
	err := n.await(ctx, func() bool {
		c := n.snapCheck
		switch {
		case c == nil:
			failed = errors.New("the node was not rebuilt from a snapshot")
		case c.err != nil:
			failed = c.err
		case n.rt.ErrLocked() != nil:
			failed = n.rt.ErrLocked()
		case n.rt.ProgressLocked().Live && len(c.missing()) == 0:
			verified = slices.Clone(c.verified)
		default:
			return false
		}
		return true
	})
	if err != nil {
		if missing := n.SnapshotMissing(); len(missing) > 0 {
			return nil, fmt.Errorf("%w: no commitment for the period holding tick %d from %v yet: %v", ErrSnapshotUnverified, n.cfg.VerifySnapshot.Tick, missing, err)
		}
		return nil, err
	}
	return verified, failed
}

// SnapshotMissing returns the counter-participants sharing the snapshot's contracts
// whose commitment for its tick was not found yet.
func (n *Node) SnapshotMissing() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.snapCheck == nil {
		return nil
	}
	return n.snapCheck.missing()
}

// tickMark records where the tick before ev fell (called under n.mu, before ev is applied).
func (n *Node) tickMark(ev *pb.SequencedEvent) *store.TickMark {
	return &store.TickMark{Tick: n.acs.State().LastTick, NextCounter: ev.Counter, TimestampMicros: ev.TimestampMicros,
		Offset: n.eng.LastOffset(), Pending: n.eng.PendingCount()}
}

// ExportSnapshot returns the participant's signed ACS snapshot at tick (0: the latest
// tick without a request in flight), filtered to parties when not empty.
func (n *Node) ExportSnapshot(tick int64, parties []string) (*snapshot.Snapshot, error) {
	return ExportSnapshot(n.store, n.client.SynchronizerID(), n.cfg.Driver.Member, n.cfg.Driver.SigningKey, tick, parties)
}

// ExportSnapshot takes participant me's signed ACS snapshot from its database (of a
// running or a stopped participant) at tick (0: the latest tick without a request in
// flight), filtered to parties when not empty.
func ExportSnapshot(st *store.Store, sync, me string, key crypto.SigningPrivateKey, tick int64, parties []string) (*snapshot.Snapshot, error) {
	m, err := st.SnapshotTick(tick)
	if err != nil {
		return nil, err
	}
	acs, err := st.ACSAt(m)
	if err != nil {
		return nil, err
	}
	s := snapshot.New(sync, me, m.Tick, m.NextCounter, m.TimestampMicros, m.Offset, acs, parties)
	s.Sign(key)
	return s, nil
}

// errPositionFound ends the scan of importForeignSnapshot.
var errPositionFound = errors.New("stream position found")

// importForeignSnapshot rebuilds an empty database from a counter-participant's snapshot
// (Config.VerifySnapshot signed by another participant): the contracts with a
// stakeholder this participant hosts at the tick are imported, and the database is
// positioned at the first event of this participant's stream after the tick, found by
// reading the stream's timestamps from counter 0 (nothing is applied). Ledger offsets
// start again from 1.
func (n *Node) importForeignSnapshot(ctx context.Context) error {
	s, me := n.cfg.VerifySnapshot, n.cfg.Driver.Member
	if s == nil || s.Participant == me {
		return nil
	}
	if err := s.VerifyAt(onChain{n.topo}, n.client.SynchronizerID(), math.MaxInt64); err != nil {
		return err
	}
	marks, err := n.store.TickMarks()
	if err != nil {
		return err
	}
	if st, err := n.store.Load(); err != nil || st.NextCounter != 0 || len(marks) > 0 || len(st.ACS) > 0 {
		return errors.Join(err, errors.New("a counter-participant's snapshot is imported into an empty database"))
	}
	var pos, ts int64
	err = n.client.Subscribe(ctx, 0, func(_ context.Context, ev *pb.SequencedEvent) error {
		if ev.TimestampMicros > s.Tick {
			pos, ts = ev.Counter, ev.TimestampMicros
			return errPositionFound
		}
		return nil
	})
	if !errors.Is(err, errPositionFound) {
		return fmt.Errorf("finding this participant's stream position at tick %d: %w", s.Tick, err)
	}
	topo := topoAt{n.topo.SnapshotAt(s.Tick)}
	var mine []*ledger.Contract
	for _, c := range s.Contracts {
		if slices.ContainsFunc(c.Stakeholders(), func(p ledger.Party) bool { return slices.Contains(topo.Hosts(string(p)), me) }) {
			mine = append(mine, c)
		}
	}
	n.log.Info("importing the shared part of a counter-participant's ACS snapshot", "signer", s.Participant, "tick", s.Tick,
		"contracts", len(mine), "of", len(s.Contracts), "next_counter", pos)
	n.imported.contracts, n.imported.next = len(mine), pos
	return n.store.Import(store.Import{Contracts: mine, Mark: store.TickMark{Tick: s.Tick, NextCounter: pos, TimestampMicros: ts}})
}

// ImportSnapshot rebuilds an empty database from the participant's own snapshot s
// (decoded, not yet verified; a counter-participant's is imported by the node itself,
// started over an empty database with Config.VerifySnapshot):
// its contracts become the ACS and the database stands at the first event after the
// tick. A node started over it with Config.VerifySnapshot = s checks the signature and
// the commitments, then replays from there.
func ImportSnapshot(st *store.Store, s *snapshot.Snapshot) error {
	return st.Import(store.Import{Contracts: s.Contracts, Mark: store.TickMark{
		Tick: s.Tick, NextCounter: s.NextCounter, TimestampMicros: s.TimestampMicros, Offset: s.Offset}})
}

// ImportedContracts returns how many contracts the node's database was rebuilt with from
// a snapshot (Config.VerifySnapshot; 0 without one).
func (n *Node) ImportedContracts() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.imported.contracts
}

// ImportedAt returns the stream counter the snapshot's import positioned the database at.
func (n *Node) ImportedAt() int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.imported.next
}
