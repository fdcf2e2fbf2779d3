package topology

import (
	"fmt"

	seqpb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// LastSequenced is the sequencing time of the last transaction applied or proposed.
func (s *State) LastSequenced() int64 { return s.lastSequenced }

// ChangeDelayAt is the topology change delay in force at t: the one of the synchronizer
// parameters mapping valid at t, or 0 when there is none. The sequencer and every member
// use this rule, on the same state, so they compute the same effective times.
func (s *State) ChangeDelayAt(t int64) int64 {
	if p, ok := s.SnapshotAt(t).Parameters(); ok {
		return p.TopologyChangeDelayMicros
	}
	return 0
}

// IsTopologyEnvelope reports whether an envelope carries a topology transaction for the
// topology manager (it names the TopologyManager group among its recipients).
func IsTopologyEnvelope(env *seqpb.Envelope) bool {
	for _, r := range env.GetRecipients() {
		if r.GetGroup() == seqpb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER {
			return true
		}
	}
	return false
}

// Follow applies the topology transactions of one event of a member's stream, as the
// sequencer applied them: every topology envelope of a delivery, in order, at the event's
// timestamp with the change delay in force then. The sequencer delivers such envelopes
// to every member only when it accepted all of them, so an error here means the member's
// state diverged (or the event is not from this synchronizer). Events at or before the
// state's last sequencing time are skipped: a member that started from a downloaded state
// may see them again on its stream.
func (s *State) Follow(ev *seqpb.SequencedEvent) ([]Outcome, error) {
	if ev.GetKind() != seqpb.EventKind_EVENT_KIND_DELIVER || ev.TimestampMicros <= s.lastSequenced {
		return nil, nil
	}
	var outs []Outcome
	delay := s.ChangeDelayAt(ev.TimestampMicros)
	for i, env := range ev.GetBatch().GetEnvelopes() {
		if !IsTopologyEnvelope(env) {
			continue
		}
		out, err := s.ApplyBytes(env.Content, ev.TimestampMicros, ev.TimestampMicros+delay)
		if err != nil {
			return outs, fmt.Errorf("event %d envelope %d: %w", ev.Counter, i, err)
		}
		outs = append(outs, out)
	}
	return outs, nil
}
