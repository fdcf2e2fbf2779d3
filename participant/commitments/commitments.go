// Package commitments computes and compares ACS commitments: at every reconciliation
// tick (a multiple of the synchronizer's reconciliation interval on sequencer time) a
// participant commits, for each counter-participant, to the active contracts they share
// (those with a stakeholder hosted by each), signs the commitment and sends it to that
// participant only; each compares what it receives with its own. Two honest participants
// hold the same shared contracts at every tick (a contract is created and archived by a
// verdict both receive at the same sequencing time), so a difference means one of them
// has a wrong ACS: a lost or tampered database, a bug, or a dishonest participant.
//
// The package is deterministic and does no I/O. The participant node feeds the Tracker
// its committed updates (Apply), asks it for its commitments when an event crosses a tick
// (Tick, before the event is applied: the state is the one as of the tick), and hands it
// the commitments received (Receive). A replay from the chain recomputes and re-checks
// everything the same way.
//
// # The hash
//
// Contracts are grouped by stakeholder set. Each group keeps a running sum modulo 2^256
// of its contracts' digests (H(purpose, contract encoding)), so a contract's creation
// adds and its archival subtracts: a tick costs what the groups are, not what the ACS
// holds. The commitment to counter-participant Q hashes, in group order, every group with
// a party hosted by Q (the participant hosts one of each group: they are in its ACS):
// its stakeholders, its contract count and its sum. The empty set has a commitment too:
// a participant that stops sharing contracts with Q sends it once, so that a Q that still
// believes in shared contracts is caught.
//
// # Periods
//
// A participant computes at the first event of its stream after a tick, for the period
// (last tick computed, latest tick before the event]: its state did not change within
// the period, so one commitment stands for all its ticks. Periods of two participants
// need not line up; a received commitment is compared with every own period that
// overlaps it, since both states are constant over the overlap.
package commitments

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"strings"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
)

// Hash purposes of ACS commitments (range 172–179). They are never reused.
const (
	// PurposeContractDigest prefixes the digest of one contract in a group's sum.
	PurposeContractDigest crypto.Purpose = 172
	// PurposeCommitment prefixes the commitment to one counter-participant.
	PurposeCommitment crypto.Purpose = 173
	// PurposeSignedCommitment prefixes the hash a participant signs over a serialized
	// AcsCommitment.
	PurposeSignedCommitment crypto.Purpose = 174
)

// sum is a 256-bit unsigned integer, little-endian limbs.
type sum [4]uint64

func (s *sum) add(d [32]byte, sign int) {
	var x sum
	for i := range x {
		x[i] = binary.LittleEndian.Uint64(d[8*i:])
	}
	var carry uint64
	for i := range s {
		if sign > 0 {
			s[i], carry = bits.Add64(s[i], x[i], carry)
		} else {
			s[i], carry = bits.Sub64(s[i], x[i], carry)
		}
	}
}

func (s sum) bytes() []byte {
	b := make([]byte, 32)
	for i, l := range s {
		binary.LittleEndian.PutUint64(b[8*i:], l)
	}
	return b
}

type group struct {
	parties []string // sorted, distinct
	count   int
	sum     sum
}

type entry struct {
	group  string
	digest [32]byte
}

// Period is one of the participant's own commitments: its commitment to each
// counter-participant it shared contracts with over (Start, End]; any other
// counter-participant gets the empty set's commitment.
type Period struct {
	Start, End int64
	To         map[string][]byte
}

// Commitment is one commitment to a counter-participant.
type Commitment struct {
	Counter    string
	Start, End int64
	Hash       []byte
}

// Outcome is the result of comparing a received commitment with the participant's own
// over the overlap of their periods.
type Outcome struct {
	Counter    string
	Start, End int64 // the overlap compared
	Match      bool
	Own, Their []byte
}

func (o Outcome) String() string {
	verdict := "match"
	if !o.Match {
		verdict = fmt.Sprintf("MISMATCH (own %x, theirs %x)", o.Own, o.Their)
	}
	return fmt.Sprintf("ACS commitment with %s for (%d, %d]: %s", o.Counter, o.Start, o.End, verdict)
}

// Tracker keeps the participant's running group sums and its own recent periods, and
// the received commitments it cannot compare yet.
type Tracker struct {
	me        string
	groups    map[string]*group
	contracts map[ledger.ContractID]entry
	state     State
}

// State is the Tracker's state besides the sums (which follow from the ACS): what a
// restart over the participant's database needs to continue comparing.
type State struct {
	// LastTick is the end of the last period computed (0 before the first).
	LastTick int64
	// Periods are the own periods kept for comparison, oldest first.
	Periods []Period
	// Pending are received commitments whose period ends after LastTick.
	Pending []Commitment
}

// KeepPeriods bounds the own periods kept: a commitment received for an older period is
// not compared (it is reported as too old).
const KeepPeriods = 256

// New returns a tracker for participant me over the active contracts acs, continuing
// from st (the zero State for a participant's start from counter 0).
func New(me string, acs ledger.ContractMap, st State) *Tracker {
	t := &Tracker{me: me, groups: map[string]*group{}, contracts: map[ledger.ContractID]entry{}, state: st}
	for _, id := range slices.Sorted(maps.Keys(acs)) {
		t.add(acs[id])
	}
	return t
}

// State returns the tracker's state besides the sums.
func (t *Tracker) State() State { return t.state }

func digest(c *ledger.Contract) [32]byte {
	var d [32]byte
	copy(d[:], crypto.HashBytes(PurposeContractDigest, ledger.EncodeContract(c)))
	return d
}

func (t *Tracker) add(c *ledger.Contract) {
	if _, ok := t.contracts[c.ID]; ok {
		return
	}
	set := c.Stakeholders() // sorted and distinct
	parties := make([]string, len(set))
	for i, p := range set {
		parties[i] = string(p)
	}
	key := strings.Join(parties, "\x00")
	g := t.groups[key]
	if g == nil {
		g = &group{parties: parties}
		t.groups[key] = g
	}
	e := entry{group: key, digest: digest(c)}
	g.sum.add(e.digest, 1)
	g.count++
	t.contracts[c.ID] = e
}

func (t *Tracker) remove(id ledger.ContractID) {
	e, ok := t.contracts[id]
	if !ok {
		return
	}
	delete(t.contracts, id)
	g := t.groups[e.group]
	g.sum.add(e.digest, -1)
	if g.count--; g.count == 0 {
		delete(t.groups, e.group)
	}
}

// Apply takes a committed transaction: its created contracts join the ACS, its archived
// ones leave it.
func (t *Tracker) Apply(created []*ledger.Contract, archived []ledger.ContractID) {
	for _, id := range archived {
		t.remove(id)
	}
	for _, c := range created {
		t.add(c)
	}
}

// TickBefore returns the latest multiple of interval strictly before ts.
func TickBefore(ts, interval int64) int64 {
	if interval <= 0 || ts <= 0 {
		return 0
	}
	return (ts - 1) / interval * interval
}

// Due reports whether an event at ts crosses a tick after the last one computed: Tick
// then computes a period (callers skip looking up the hosts when it does not).
func (t *Tracker) Due(ts, interval int64) bool { return TickBefore(ts, interval) > t.state.LastTick }

// Hosts says which participants host a party at the tick.
type Hosts func(party string) []string

// Tick computes, when the event at ts crosses a tick after the last one computed, the
// participant's commitments for the period (last tick, latest tick before ts] with the
// state as of now (before the event), one per counter-participant it shares contracts
// with, and compares the pending received commitments that the period covers. It returns
// nothing when no tick was crossed.
func (t *Tracker) Tick(ts, interval int64, hosts Hosts) ([]Commitment, []Outcome) {
	if !t.Due(ts, interval) {
		return nil, nil
	}
	end := TickBefore(ts, interval)
	if t.state.LastTick == 0 {
		// The first period starts at the tick before the participant's history.
		t.state.LastTick = TickBefore(end, interval)
	}
	p := Period{Start: t.state.LastTick, End: end, To: t.commitments(hosts)}
	if n := len(t.state.Periods); n > 0 {
		// A counter-participant shared with until now gets the empty set's commitment once,
		// so that one that still believes in shared contracts finds out.
		for q, h := range t.state.Periods[n-1].To {
			if _, ok := p.To[q]; !ok && string(h) != string(Empty()) {
				p.To[q] = Empty()
			}
		}
	}
	t.state.LastTick = end
	t.state.Periods = append(t.state.Periods, p)
	if over := len(t.state.Periods) - KeepPeriods; over > 0 {
		t.state.Periods = slices.Delete(t.state.Periods, 0, over)
	}
	var out []Commitment
	for _, q := range slices.Sorted(maps.Keys(p.To)) {
		out = append(out, Commitment{Counter: q, Start: p.Start, End: p.End, Hash: p.To[q]})
	}
	// Received commitments now covered by own periods are compared.
	var outcomes []Outcome
	var still []Commitment
	for _, c := range t.state.Pending {
		if c.End <= t.state.LastTick {
			outcomes = append(outcomes, t.compare(c)...)
		} else {
			still = append(still, c)
		}
	}
	t.state.Pending = still
	return out, outcomes
}

// commitments hashes the groups shared with each counter-participant.
func (t *Tracker) commitments(hosts Hosts) map[string][]byte {
	shared := map[string][]string{} // counter-participant -> group keys
	for _, key := range slices.Sorted(maps.Keys(t.groups)) {
		seen := map[string]bool{}
		for _, party := range t.groups[key].parties {
			for _, q := range hosts(party) {
				if q != t.me && !seen[q] {
					seen[q] = true
					shared[q] = append(shared[q], key)
				}
			}
		}
	}
	out := make(map[string][]byte, len(shared))
	for q, keys := range shared {
		out[q] = t.hash(keys)
	}
	return out
}

func (t *Tracker) hash(keys []string) []byte {
	h := crypto.NewHasher(PurposeCommitment)
	for _, key := range keys {
		g := t.groups[key]
		h.AddString(key).AddUint64(uint64(g.count)).AddBytes(g.sum.bytes())
	}
	return h.Sum()
}

// Empty is the commitment to a counter-participant that shares no contract.
func Empty() []byte { return crypto.NewHasher(PurposeCommitment).Sum() }

// Receive takes a commitment received from counter-participant c.Counter (its sender,
// as the sequencer attests, whose signature the caller checked). The overlap with the
// own periods already computed is compared now; a commitment reaching past the last tick
// computed waits for the ticks to come. A commitment older than every own period kept
// is not compared: tooOld says so.
func (t *Tracker) Receive(c Commitment) (outcomes []Outcome, tooOld bool) {
	if len(t.state.Periods) > 0 && c.End <= t.state.Periods[0].Start {
		return nil, true
	}
	if c.End > t.state.LastTick {
		t.state.Pending = append(t.state.Pending, c)
		slices.SortStableFunc(t.state.Pending, func(a, b Commitment) int { return cmp.Compare(a.End, b.End) })
		return nil, false
	}
	return t.compare(c), false
}

// compare compares c with each own period it overlaps.
func (t *Tracker) compare(c Commitment) []Outcome {
	var out []Outcome
	for _, p := range t.state.Periods {
		start, end := max(p.Start, c.Start), min(p.End, c.End)
		if start >= end {
			continue
		}
		own, ok := p.To[c.Counter]
		if !ok {
			own = Empty()
		}
		out = append(out, Outcome{Counter: c.Counter, Start: start, End: end, Match: string(own) == string(c.Hash), Own: own, Their: c.Hash})
	}
	return out
}
