// Package snapshot is a participant's signed ACS snapshot: its active contracts (full
// instances, with their stakeholders) as of a reconciliation tick, the stream position
// they correspond to, and its signature. Operators exchange snapshot files to rebuild a
// wiped participant without a replay from counter 0 (`cometsync participant recover
// --from-snapshot`) and to move a party's contracts to a new host (party replication).
//
// A snapshot is trusted only as far as the chain confirms it: Verify checks the signer's
// signature with its key at the tick, and VerifyAgainstCommitments recomputes, for each
// counter-participant, the ACS commitment over the contracts they share (package
// commitments) and compares it with the commitments that were sequenced for the period
// holding the tick. A snapshot with a contract removed, added or changed disagrees with
// the counter-participant's commitment.
//
// The package is pure: no I/O, clock or randomness.
//
// # The file format
//
// A snapshot file is the 8 bytes "CSACSNAP", a version byte (1), the body and the
// signature. The body is, in order: synchronizer id, participant id (strings), tick,
// next counter, its timestamp, ledger offset (int64 big-endian), the party filter
// (uint32 count, strings), the contracts (uint32 count, each a ledger.EncodeContract
// encoding as bytes) in increasing id order. The signature part is the signing key's
// fingerprint (string) and the ed25519 signature (bytes) of H(PurposeSnapshot, magic,
// version, body). A string or bytes value is a uint32 big-endian length and the bytes.
package snapshot

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant/commitments"
	"github.com/cometsync/cometsync/protocol"
)

// PurposeSnapshot prefixes the hash a participant signs over a snapshot. It is never
// reused.
const PurposeSnapshot crypto.Purpose = 190

// Version is the snapshot file format version written.
const Version = 1

var magic = []byte("CSACSNAP")

// Errors of a snapshot that is refused.
var (
	ErrMalformed          = errors.New("malformed ACS snapshot")
	ErrBadSignature       = errors.New("ACS snapshot signature does not verify")
	ErrWrongSynchronizer  = errors.New("ACS snapshot is for another synchronizer")
	ErrCommitmentMismatch = errors.New("ACS snapshot disagrees with a sequenced ACS commitment")
)

// Snapshot is a participant's active contracts as of a reconciliation tick.
type Snapshot struct {
	SynchronizerID string
	Participant    string // the signer, whose ACS this is
	// Tick is the reconciliation tick (period end, sequencer time in microseconds): the
	// contracts are the ACS after every event of the participant's stream at or before it.
	Tick int64
	// NextCounter is the first event of the participant's stream not reflected (the first
	// after the tick): a recovery replays from there.
	NextCounter int64
	// TimestampMicros is the sequencing time of the event at NextCounter (after the tick).
	TimestampMicros int64
	// Offset is the signer's ledger end (offset of its last update) as of the tick.
	Offset int64
	// Parties, when not empty, is the filter the snapshot was taken with: only contracts
	// with a stakeholder among them are in it. Sorted and distinct.
	Parties []string
	// Contracts in increasing id order.
	Contracts []*ledger.Contract

	SigningKey string // fingerprint
	Signature  []byte
}

// New returns the unsigned snapshot of acs (filtered to the contracts with a stakeholder
// among parties when parties is not empty).
func New(sync, participant string, tick, nextCounter, ts, offset int64, acs ledger.ContractMap, parties []string) *Snapshot {
	s := &Snapshot{SynchronizerID: sync, Participant: participant, Tick: tick, NextCounter: nextCounter, TimestampMicros: ts, Offset: offset}
	if len(parties) > 0 {
		s.Parties = slices.Compact(slices.Sorted(slices.Values(parties)))
	}
	for _, c := range acs {
		if s.Includes(c) {
			s.Contracts = append(s.Contracts, c)
		}
	}
	slices.SortFunc(s.Contracts, func(a, b *ledger.Contract) int { return cmp.Compare(a.ID, b.ID) })
	return s
}

// Includes reports whether the filter admits c (a stakeholder among Parties, or no filter).
func (s *Snapshot) Includes(c *ledger.Contract) bool {
	if len(s.Parties) == 0 {
		return true
	}
	for _, p := range c.Stakeholders() {
		if _, ok := slices.BinarySearch(s.Parties, string(p)); ok {
			return true
		}
	}
	return false
}

// ACS returns the snapshot's contracts as a map.
func (s *Snapshot) ACS() ledger.ContractMap {
	m := make(ledger.ContractMap, len(s.Contracts))
	for _, c := range s.Contracts {
		m[c.ID] = c
	}
	return m
}

// Sign signs the snapshot with key (the participant's signing key).
func (s *Snapshot) Sign(key crypto.SigningPrivateKey) {
	s.SigningKey = string(key.Fingerprint())
	s.Signature = key.SignHash(s.digest())
}

func (s *Snapshot) digest() []byte {
	return crypto.HashBytes(PurposeSnapshot, s.signedPart())
}

func (s *Snapshot) signedPart() []byte {
	var e enc
	e.b = append(e.b, magic...)
	e.b = append(e.b, Version)
	e.str(s.SynchronizerID)
	e.str(s.Participant)
	e.i64(s.Tick)
	e.i64(s.NextCounter)
	e.i64(s.TimestampMicros)
	e.i64(s.Offset)
	e.u32(uint32(len(s.Parties)))
	for _, p := range s.Parties {
		e.str(p)
	}
	e.u32(uint32(len(s.Contracts)))
	for _, c := range s.Contracts {
		e.bytes(ledger.EncodeContract(c))
	}
	return e.b
}

// Encode returns the snapshot file's bytes.
func (s *Snapshot) Encode() []byte {
	e := enc{b: s.signedPart()}
	e.str(s.SigningKey)
	e.bytes(s.Signature)
	return e.b
}

// Decode parses a snapshot file. It checks the format (contracts decodable, in strictly
// increasing id order, admitted by the filter), not the signature: see Verify.
func Decode(b []byte) (*Snapshot, error) {
	if len(b) < len(magic)+1 || !bytes.Equal(b[:len(magic)], magic) {
		return nil, fmt.Errorf("%w: not a snapshot file (no %q header)", ErrMalformed, magic)
	}
	if v := b[len(magic)]; v != Version {
		return nil, fmt.Errorf("%w: format version %d, this build reads %d", ErrMalformed, v, Version)
	}
	d := &dec{b: b[len(magic)+1:]}
	s := &Snapshot{SynchronizerID: d.str(), Participant: d.str(), Tick: d.i64(), NextCounter: d.i64(), TimestampMicros: d.i64(), Offset: d.i64()}
	n := d.count()
	for i := 0; i < n && d.err == nil; i++ {
		p := d.str()
		if i > 0 && p <= s.Parties[i-1] {
			d.fail("party filter not sorted and distinct")
		}
		s.Parties = append(s.Parties, p)
	}
	n = d.count()
	for i := 0; i < n && d.err == nil; i++ {
		raw := d.bytes()
		if d.err != nil {
			break
		}
		c, err := ledger.DecodeContract(raw)
		if err != nil {
			d.fail(fmt.Sprintf("contract %d: %v", i, err))
			break
		}
		if i > 0 && c.ID <= s.Contracts[i-1].ID {
			d.fail(fmt.Sprintf("contract %d (%s) out of id order", i, c.ID))
			break
		}
		if !s.Includes(c) {
			d.fail(fmt.Sprintf("contract %s has no stakeholder among the snapshot's parties", c.ID))
			break
		}
		s.Contracts = append(s.Contracts, c)
	}
	s.SigningKey = d.str()
	s.Signature = d.bytes()
	if d.err == nil && len(d.b) != 0 {
		d.fail(fmt.Sprintf("%d trailing bytes", len(d.b)))
	}
	if d.err != nil {
		return nil, d.err
	}
	switch {
	case s.SynchronizerID == "" || s.Participant == "":
		return nil, fmt.Errorf("%w: no synchronizer or participant id", ErrMalformed)
	case s.Tick < 0 || s.NextCounter < 0 || s.Offset < 0 || s.TimestampMicros <= s.Tick:
		return nil, fmt.Errorf("%w: tick %d, next counter %d at %d, offset %d", ErrMalformed, s.Tick, s.NextCounter, s.TimestampMicros, s.Offset)
	}
	return s, nil
}

// Verify checks the snapshot is for synchronizer sync and signed by its participant with
// a key valid at the first event after the tick (TimestampMicros). VerifyAt takes
// another time: a snapshot is signed when it is exported, possibly long after the tick
// (and the participant may have joined within the tick's period), so a verifier holding
// the current topology checks against it.
func (s *Snapshot) Verify(v protocol.Verifier, sync string) error {
	return s.VerifyAt(v, sync, s.TimestampMicros)
}

// VerifyAt is Verify with the signer's key valid at time at (microseconds).
func (s *Snapshot) VerifyAt(v protocol.Verifier, sync string, at int64) error {
	if s.SynchronizerID != sync {
		return fmt.Errorf("%w: %s, this participant is on %s", ErrWrongSynchronizer, s.SynchronizerID, sync)
	}
	if err := v.Verify(s.Participant, s.SigningKey, at, s.digest(), s.Signature); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return nil
}

// Topology is the hosting at the snapshot's tick.
type Topology interface {
	// Hosts returns the participants hosting party.
	Hosts(party string) []string
	// HostedParties returns the parties participant hosts.
	HostedParties(participant string) []string
}

// Sequenced is an ACS commitment that was sequenced: From committed to To for (Start, End].
type Sequenced struct {
	From, To   string
	Start, End int64
	Hash       []byte
}

// Report is what VerifyAgainstCommitments compared.
type Report struct {
	// Checked are the counter-participants whose commitment covering the tick matched.
	Checked []string
	// Skipped are sequenced commitments that say nothing about the snapshot: their period
	// does not hold the tick, the snapshot's participant is neither side, or the filter
	// leaves out a party the other side hosts.
	Skipped int
}

// VerifyAgainstCommitments recomputes, for every sequenced commitment between the
// snapshot's participant and a counter-participant whose period holds the tick, the
// commitment over the snapshot's contracts they share (a stakeholder hosted by each, in
// topo at the tick) and compares. A difference is an ErrCommitmentMismatch naming the
// period and the counter-participant. A filtered snapshot is compared only with
// counter-participants whose hosted parties are all in the filter.
func (s *Snapshot) VerifyAgainstCommitments(topo Topology, seq []Sequenced) (Report, error) {
	var r Report
	hostedBy := func(participant string, parties []string) bool {
		for _, p := range parties {
			if slices.Contains(topo.Hosts(p), participant) {
				return true
			}
		}
		return false
	}
	for _, c := range seq {
		if !(c.Start < s.Tick && s.Tick <= c.End) {
			r.Skipped++
			continue
		}
		var other string
		switch s.Participant {
		case c.From:
			other = c.To
		case c.To:
			other = c.From
		default:
			r.Skipped++
			continue
		}
		if other == s.Participant || !s.covers(topo.HostedParties(other)) {
			r.Skipped++
			continue
		}
		got := commitments.Over(s.Contracts, func(stakeholders []string) bool {
			return hostedBy(other, stakeholders) && hostedBy(s.Participant, stakeholders)
		})
		if !bytes.Equal(got, c.Hash) {
			return r, fmt.Errorf("%w: %s's commitment for period (%d, %d] from %s to %s is %x, the snapshot's contracts give %x",
				ErrCommitmentMismatch, other, c.Start, c.End, c.From, c.To, c.Hash, got)
		}
		if !slices.Contains(r.Checked, other) {
			r.Checked = append(r.Checked, other)
		}
	}
	slices.Sort(r.Checked)
	return r, nil
}

// covers reports whether the filter admits every party of parties.
func (s *Snapshot) covers(parties []string) bool {
	if len(s.Parties) == 0 {
		return true
	}
	for _, p := range parties {
		if _, ok := slices.BinarySearch(s.Parties, p); !ok {
			return false
		}
	}
	return true
}

type enc struct{ b []byte }

func (e *enc) u32(v uint32)   { e.b = binary.BigEndian.AppendUint32(e.b, v) }
func (e *enc) i64(v int64)    { e.b = binary.BigEndian.AppendUint64(e.b, uint64(v)) }
func (e *enc) bytes(v []byte) { e.u32(uint32(len(v))); e.b = append(e.b, v...) }
func (e *enc) str(v string)   { e.bytes([]byte(v)) }

type dec struct {
	b   []byte
	err error
}

func (d *dec) fail(msg string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrMalformed, msg)
	}
	d.b = nil
}

func (d *dec) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.fail("truncated")
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *dec) u32() uint32 {
	v := d.take(4)
	if v == nil {
		return 0
	}
	return binary.BigEndian.Uint32(v)
}

func (d *dec) i64() int64 {
	v := d.take(8)
	if v == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

func (d *dec) bytes() []byte { return append([]byte(nil), d.take(int(d.u32()))...) }
func (d *dec) str() string   { return string(d.take(int(d.u32()))) }

// count reads an element count; each element takes at least 4 bytes, so a count beyond
// what is left is malformed (and allocates nothing).
func (d *dec) count() int {
	n := d.u32()
	if d.err == nil && uint64(n)*4 > uint64(len(d.b)) {
		d.fail(fmt.Sprintf("count %d beyond the %d bytes left", n, len(d.b)))
		return 0
	}
	return int(n)
}
