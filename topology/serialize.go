package topology

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
)

// Dump returns the canonical persisted form of the state: transactions ordered by
// (sequencing time, unique key, serial), proposals by hash. States that accepted the
// same transactions at the same times have equal dumps, whatever the order in which
// independent transactions of one sequencing time were applied.
func (s *State) Dump() *pb.TopologyStateDump {
	d := &pb.TopologyStateDump{
		SynchronizerId:      s.synchronizer.String(),
		LastSequencedMicros: s.lastSequenced,
		LastEffectiveMicros: s.lastEffective,
	}
	for _, e := range s.sortedHistory() {
		d.Transactions = append(d.Transactions, &pb.StoredTransaction{
			Signed: e.stx.Proto(), SequencedAtMicros: e.seq, ValidFromMicros: e.from, ValidUntilMicros: e.until,
		})
	}
	for _, p := range s.sortedProposals() {
		d.Proposals = append(d.Proposals, &pb.StoredProposal{Signed: p.stx.Proto(), SequencedAtMicros: p.seq})
	}
	return d
}

func (s *State) sortedProposals() []*proposal {
	out := make([]*proposal, 0, len(s.proposals))
	for _, p := range s.proposals {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *proposal) int { return strings.Compare(a.stx.Tx.HashHex(), b.stx.Tx.HashHex()) })
	return out
}

// Marshal returns the canonical bytes of Dump.
func (s *State) Marshal() []byte {
	b, err := s.Dump().Marshal()
	if err != nil {
		panic(fmt.Sprintf("topology: encoding the state: %v", err))
	}
	return b
}

// Hash commits to the whole state: SHA-256 with purpose 122 over Marshal.
func (s *State) Hash() []byte {
	return crypto.HashBytes(crypto.PurposeTopologyStateHash, s.Marshal())
}

// Unmarshal restores a state written by Marshal. It re-validates every transaction and
// the serial chain of every unique key but does not re-check signatures. Errors wrap
// ErrCorruptState.
func Unmarshal(b []byte) (*State, error) {
	d := new(pb.TopologyStateDump)
	if err := d.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorruptState, err)
	}
	return FromDump(d)
}

// FromDump restores a state from its persisted form (see Unmarshal).
func FromDump(d *pb.TopologyStateDump) (*State, error) {
	sync, err := crypto.ParseUID(d.SynchronizerId)
	if err != nil {
		return nil, fmt.Errorf("%w: synchronizer id: %v", ErrCorruptState, err)
	}
	s := NewState(sync)
	s.lastSequenced, s.lastEffective = d.LastSequencedMicros, d.LastEffectiveMicros
	for i, st := range d.Transactions {
		if err := s.restoreTransaction(st); err != nil {
			return nil, fmt.Errorf("%w: transaction %d: %v", ErrCorruptState, i, err)
		}
	}
	for i, sp := range d.Proposals {
		stx, err := FromProto(sp.GetSigned())
		if err != nil {
			return nil, fmt.Errorf("%w: proposal %d: %v", ErrCorruptState, i, err)
		}
		s.proposals[stx.Tx.HashHex()] = &proposal{stx: stx, seq: sp.SequencedAtMicros}
	}
	return s, nil
}

func (s *State) restoreTransaction(st *pb.StoredTransaction) error {
	stx, err := FromProto(st.GetSigned())
	if err != nil {
		return err
	}
	if want := s.head.serial(stx.Tx.Key()) + 1; stx.Tx.Serial() != want {
		return &SerialError{Key: stx.Tx.Key(), Expected: want, Got: stx.Tx.Serial()}
	}
	e := &entry{stx: stx, seq: st.SequencedAtMicros, from: st.ValidFromMicros, until: st.ValidUntilMicros}
	s.head.set(e)
	s.history = append(s.history, e)
	return nil
}
