package core

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/cometbft/cometbft/crypto/merkle"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
	"github.com/cometsync/cometsync/topology"
)

// Traffic control. When the synchronizer parameters in force carry
// TrafficControlParameters, every sequenced submission of a member (sequencers and
// not-yet members excepted) is charged
//
//	cost = submission size in bytes + recipient_cost_bytes × members it is delivered to
//
// on sequencer time: the member's base traffic is a token bucket of at most burst_bytes,
// refilled at its base rate (the synchronizer's, or its own from a MemberTrafficLimit)
// from the sequencing time of its last charged submission; the cost is paid from the
// base traffic first, then from the extra traffic the owners granted it
// (MemberTrafficLimit.extra_traffic_limit, a total). A submission that both together do
// not cover is not delivered: its sender gets a DeliverError TRAFFIC_EXCEEDED and
// nothing is charged. A member whose base rate is 0 is in maintenance: each of its
// submissions is refused.
//
// Base traffic is kept in millionths of a byte (rate × elapsed µs), so the refill is
// exact integer arithmetic; topology validation bounds every amount by
// topology.MaxTrafficBytes, which keeps it far from overflowing. A block is charged
// under the topology in force at its first sequencing time, as it is routed. The
// accounts a block changed are written under 'F' member and committed to in the app
// hash (see finish); a block that charged nothing hashes as before traffic control
// existed.

const microsPerSecond = 1_000_000

// memberTraffic is one member's traffic terms in force.
type memberTraffic struct {
	metered                                bool
	rate, burst, recipientCost, extraLimit int64
}

// trafficTerms returns the terms of member under snapshot snap; ok is false when the
// member is not metered.
func trafficTerms(snap *topology.Snapshot, member string) (t memberTraffic, ok bool) {
	p, has := snap.Parameters()
	tc := p.GetTrafficControl()
	if !has || tc == nil {
		return t, false
	}
	if m, err := crypto.ParseMember(member); err != nil || m.Kind == crypto.KindSequencer {
		return t, false
	}
	t = memberTraffic{metered: true, rate: tc.BaseRateBytesPerSecond, burst: tc.BurstBytes, recipientCost: tc.RecipientCostBytes}
	if l, ok := snap.MemberTrafficLimit(member); ok {
		t.extraLimit = l.ExtraTrafficLimit
		if l.BaseRate != nil {
			t.rate = l.BaseRate.BytesPerSecond
		}
	}
	return t, true
}

// cost is what a submission of size bytes delivered to recipients members costs,
// saturated at 4 × topology.MaxTrafficBytes (more than any member can hold).
func (t memberTraffic) cost(size, recipients int) int64 {
	const ceiling = 4 * topology.MaxTrafficBytes
	c := int64(size)
	if recipients > 0 && t.recipientCost > 0 {
		if t.recipientCost > (ceiling-c)/int64(recipients) {
			return ceiling
		}
		c += t.recipientCost * int64(recipients)
	}
	return min(c, ceiling)
}

// baseAt returns the base traffic (millionths of a byte) of an account at ts: st
// refilled from its last charge, or a full bucket for a member never charged (st nil).
func (t memberTraffic) baseAt(st *pb.MemberTrafficState, ts int64) int64 {
	full := t.burst * microsPerSecond
	if st == nil {
		return full
	}
	rem := min(st.BaseRemainingMicroBytes, full) // the burst may have been lowered
	if dt := ts - st.LastChargeMicros; t.rate > 0 && dt > 0 {
		if dt > (full-rem)/t.rate {
			return full
		}
		rem += t.rate * dt
	}
	return min(rem, full)
}

// charge returns the account after paying cost at ts, or a rejection.
func (t memberTraffic) charge(member string, st *pb.MemberTrafficState, cost, ts int64) (*pb.MemberTrafficState, *SubmissionError) {
	if t.rate == 0 {
		return nil, reject(seqapi.CodeTrafficExceeded, "%s is in maintenance (base traffic rate 0): no submission is sequenced", member)
	}
	base := t.baseAt(st, ts)
	next := &pb.MemberTrafficState{BaseRemainingMicroBytes: base, LastChargeMicros: ts}
	if st != nil {
		next.ExtraConsumed, next.TotalConsumed = st.ExtraConsumed, st.TotalConsumed
	}
	whole := base / microsPerSecond
	switch {
	case cost <= whole:
		next.BaseRemainingMicroBytes -= cost * microsPerSecond
	case cost-whole <= t.extraLimit-next.ExtraConsumed:
		next.BaseRemainingMicroBytes -= whole * microsPerSecond
		next.ExtraConsumed += cost - whole
	default:
		return nil, reject(seqapi.CodeTrafficExceeded, "submission costs %d bytes of traffic, %s has %d base and %d extra",
			cost, member, whole, max(0, t.extraLimit-next.ExtraConsumed))
	}
	next.TotalConsumed += cost
	return next, nil
}

// readTraffic reads member's account (nil when it was never charged).
func readTraffic(get func([]byte) ([]byte, error), member string) (*pb.MemberTrafficState, error) {
	b, err := get(KeyTraffic(member))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st pb.MemberTrafficState
	if err := st.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("stored traffic state of %s: %w", member, err)
	}
	return &st, nil
}

// chargeTraffic prices an authenticated, valid submission sequenced at ts: it returns
// the sender's account after paying (nil when the sender is not metered), which the
// caller installs with x.traffic only once the submission is delivered, or a rejection.
func (x *execution) chargeTraffic(s *Submission, r *routing, ts int64) (*pb.MemberTrafficState, *SubmissionError, error) {
	sender := s.Request.Sender
	if !x.mem.IsMember(sender) {
		return nil, nil, nil // onboarding: not a member yet
	}
	terms, ok := x.trafficTerms(sender)
	if !ok {
		return nil, nil, nil
	}
	st, cached := x.traffic[sender]
	if !cached {
		var err error
		if st, err = readTraffic(x.ov.get, sender); err != nil {
			return nil, nil, err
		}
	}
	next, rej := terms.charge(sender, st, terms.cost(s.Size, recipientCount(r, sender)), ts)
	return next, rej, nil
}

// trafficTerms memoizes trafficTerms for the block.
func (x *execution) trafficTerms(member string) (memberTraffic, bool) {
	if t, ok := x.terms[member]; ok {
		return t, t.metered
	}
	t, _ := trafficTerms(x.snap, member)
	x.terms[member] = t
	return t, t.metered
}

// recipientCount is the number of members a submission is delivered to, the sender's
// own receipt not counted.
func recipientCount(r *routing, sender string) int {
	n := len(r.members)
	if _, ok := r.members[sender]; ok {
		n--
	}
	return n
}

// writeTraffic stores the accounts the block changed and returns the root committing to
// them (nil when none changed).
func (x *execution) writeTraffic() []byte {
	return writeMemberRecords(x, "traffic", x.traffic, KeyTraffic)
}

// writeMemberRecords stores each member's record of records under key(member) and
// returns the Merkle root over H(label, member, record) in member order, for the app
// hash (nil when there is none).
func writeMemberRecords[R interface{ Marshal() ([]byte, error) }](x *execution, label string, records map[string]R, key func(string) []byte) []byte {
	if len(records) == 0 {
		return nil
	}
	members := slices.Sorted(maps.Keys(records))
	leaves := make([][]byte, len(members))
	for i, m := range members {
		b := mustMarshal(records[m])
		x.ov.set(key(m), b)
		leaves[i] = x.hasher.Reset(crypto.PurposeAppHash).AddString(label).AddString(m).AddBytes(b).Sum()
	}
	return merkle.HashFromByteSlices(leaves)
}

// checkTraffic is CheckTx's estimate: would member's account, as committed and refilled
// to now, pay for s under the head topology?
func (m *Machine) checkTraffic(r Reader, s *Submission, rt *routing, mem Membership, nowMicros int64) (*SubmissionError, error) {
	sender := s.Request.Sender
	if !mem.IsMember(sender) {
		return nil, nil
	}
	terms, ok := trafficTerms(m.headSnapshot(), sender)
	if !ok {
		return nil, nil
	}
	st, err := readTraffic(r.Get, sender)
	if err != nil {
		return nil, err
	}
	_, rej := terms.charge(sender, st, terms.cost(s.Size, recipientCount(rt, sender)), nowMicros)
	return rej, nil
}

// TrafficState is a member's traffic account as of a sequencing time.
type TrafficState struct {
	// Metered is false when traffic control is off (or the member is a sequencer).
	Metered     bool
	Maintenance bool
	AsOfMicros  int64
	// Terms in force.
	BaseRate, Burst, RecipientCost, ExtraLimit int64
	// BaseRemaining is the base traffic (whole bytes) refilled up to AsOfMicros.
	BaseRemaining, ExtraConsumed, TotalConsumed, LastChargeMicros int64
}

// ExtraRemaining is the extra traffic left.
func (t TrafficState) ExtraRemaining() int64 { return max(0, t.ExtraLimit-t.ExtraConsumed) }

// TrafficStateOf reads member's traffic account from committed state r, refilled up to
// the committed head's last sequencing time, under the topology in force just after it
// (what the next submission is charged under).
func (m *Machine) TrafficStateOf(r Reader, member string) (TrafficState, error) {
	meta, err := ReadMeta(r)
	if err != nil {
		return TrafficState{}, err
	}
	at := meta.LastTimestampMicros
	out := TrafficState{AsOfMicros: at}
	terms, ok := trafficTerms(m.TopologyAt(at+1), member)
	if !ok {
		return out, nil
	}
	st, err := readTraffic(r.Get, member)
	if err != nil {
		return TrafficState{}, err
	}
	out.Metered, out.Maintenance = true, terms.rate == 0
	out.BaseRate, out.Burst, out.RecipientCost, out.ExtraLimit = terms.rate, terms.burst, terms.recipientCost, terms.extraLimit
	out.BaseRemaining = terms.baseAt(st, at) / microsPerSecond
	if st != nil {
		out.ExtraConsumed, out.TotalConsumed, out.LastChargeMicros = st.ExtraConsumed, st.TotalConsumed, st.LastChargeMicros
	}
	return out, nil
}
