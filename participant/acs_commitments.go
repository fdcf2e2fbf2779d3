package participant

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"

	"github.com/cometsync/cometsync/member"
	"github.com/cometsync/cometsync/participant/commitments"
	"github.com/cometsync/cometsync/participant/engine"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// acsCommitmentTag is the first byte of a ProtocolMessage holding an ACS commitment
// (field 5, length-delimited): envelopes without it are not decoded as commitments.
const acsCommitmentTag = 5<<3 | 2

// maxCommitmentOutcomes bounds the comparisons CommitmentOutcomes keeps.
const maxCommitmentOutcomes = 1024

// tickCommitments asks the tracker for the commitments of a reconciliation tick that an
// event at ts crosses, and returns them as outbox messages; changed reports that a period
// was computed (the tracker's state is then to be stored). Called under n.mu, before the
// event is applied.
func (n *Node) tickCommitments(ts int64) (sends []member.Message[engine.Send], outcomes []commitments.Outcome, changed bool, err error) {
	interval := n.topo.SnapshotAt(ts).ProtocolParameters().ReconciliationInterval.Microseconds()
	if !n.acs.Due(ts, interval) {
		return nil, nil, false, nil
	}
	tick := commitments.TickBefore(ts, interval)
	snap := n.topo.SnapshotAt(tick)
	cs, outcomes := n.acs.Tick(ts, interval, func(party string) []string {
		ptp, ok := snap.PartyToParticipant(party)
		if !ok {
			return nil
		}
		hosts := make([]string, 0, len(ptp.Participants))
		for _, h := range ptp.Participants {
			hosts = append(hosts, h.Participant)
		}
		return hosts
	})
	for _, c := range cs {
		content, err := commitments.Encode(n.cfg.Driver.SigningKey, n.client.SynchronizerID(), n.cfg.Driver.Member, c)
		if err != nil {
			return nil, nil, false, err
		}
		id := commitmentMessageID(c)
		sends = append(sends, member.Message[engine.Send]{ID: id, Msg: engine.Send{MessageID: id, To: c.Counter, Signed: content}})
	}
	return sends, outcomes, true, nil
}

// commitmentMessageID is the deterministic message id of a commitment: a replay decides
// the same one and finds its receipt.
func commitmentMessageID(c commitments.Commitment) string {
	h := sha256.Sum256([]byte(c.Counter))
	return "acs-" + strconv.FormatInt(c.End, 10) + "-" + hex.EncodeToString(h[:8])
}

// receiveCommitments checks and compares the ACS commitments an event delivers to this
// participant; it returns the comparisons made and how many were ignored.
func (n *Node) receiveCommitments(ev *pb.SequencedEvent) (outcomes []commitments.Outcome, ignored int) {
	me := n.cfg.Driver.Member
	if ev.GetKind() != pb.EventKind_EVENT_KIND_DELIVER || ev.Sender == "" || ev.Sender == me {
		return nil, 0
	}
	for _, env := range ev.GetBatch().GetEnvelopes() {
		if len(env.Content) == 0 || env.Content[0] != acsCommitmentTag {
			continue
		}
		c, err := commitments.Decode(env.Content, onChain{n.topo}, n.client.SynchronizerID(), me, ev.Sender, ev.TimestampMicros)
		if errors.Is(err, commitments.ErrNotACommitment) {
			continue
		}
		if err != nil {
			n.log.Warn("ACS commitment ignored", "sender", ev.Sender, "counter", ev.Counter, "err", err)
			n.metrics.acs.WithLabelValues(acsIgnored).Inc()
			n.acsIgnored = append(n.acsIgnored, IgnoredCommitment{Sender: ev.Sender, Counter: ev.Counter, Reason: err})
			if over := len(n.acsIgnored) - maxCommitmentOutcomes; over > 0 {
				n.acsIgnored = append([]IgnoredCommitment(nil), n.acsIgnored[over:]...)
			}
			ignored++
			continue
		}
		n.snapshotCommitment(c)
		got, tooOld := n.acs.Receive(c)
		if tooOld {
			n.log.Info("ACS commitment older than the periods kept: not compared", "sender", ev.Sender, "period_end", c.End)
			n.metrics.acs.WithLabelValues(acsTooOld).Inc()
			ignored++
		}
		outcomes = append(outcomes, got...)
	}
	return outcomes, ignored
}

// reportCommitments logs and counts comparisons and keeps them for CommitmentOutcomes
// (called under n.mu).
func (n *Node) reportCommitments(outcomes []commitments.Outcome) {
	for _, o := range outcomes {
		if o.Match {
			n.metrics.acs.WithLabelValues(acsMatch).Inc()
			n.log.Debug("ACS commitment matches", "counter_participant", o.Counter, "period_start_micros", o.Start, "period_end_micros", o.End)
		} else {
			n.metrics.acs.WithLabelValues(acsMismatch).Inc()
			n.log.Warn("ACS commitment mismatch: this participant and the counter-participant disagree on the contracts they share",
				"counter_participant", o.Counter, "period_start_micros", o.Start, "period_end_micros", o.End,
				"own", hex.EncodeToString(o.Own), "theirs", hex.EncodeToString(o.Their))
		}
		n.acsOutcomes = append(n.acsOutcomes, o)
	}
	if over := len(n.acsOutcomes) - maxCommitmentOutcomes; over > 0 {
		n.acsOutcomes = append([]commitments.Outcome(nil), n.acsOutcomes[over:]...)
	}
}

// CommitmentOutcomes returns the recent comparisons of received ACS commitments with
// this participant's own, oldest first.
func (n *Node) CommitmentOutcomes() []commitments.Outcome {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]commitments.Outcome(nil), n.acsOutcomes...)
}

// WaitCommitment waits, event by event, until a comparison for which pred holds has
// been made, and returns it.
func (n *Node) WaitCommitment(ctx context.Context, pred func(commitments.Outcome) bool) (commitments.Outcome, error) {
	var found commitments.Outcome
	err := n.await(ctx, func() bool {
		for _, o := range n.acsOutcomes {
			if pred(o) {
				found = o
				return true
			}
		}
		return false
	})
	return found, err
}

// IgnoredCommitment is a received ACS commitment that did not count: Reason wraps one of
// commitments.ErrWrongSender, ErrNotForUs, ErrBadSignature, ErrUndecodable or
// ErrInvalidPeriod.
type IgnoredCommitment struct {
	Sender  string // as the sequencer attests
	Counter int64  // of the event that delivered it
	Reason  error
}

// WaitIgnoredCommitment waits, event by event, until a received commitment was ignored
// for which pred holds, and returns it.
func (n *Node) WaitIgnoredCommitment(ctx context.Context, pred func(IgnoredCommitment) bool) (IgnoredCommitment, error) {
	var found IgnoredCommitment
	err := n.await(ctx, func() bool {
		for _, ic := range n.acsIgnored {
			if pred(ic) {
				found = ic
				return true
			}
		}
		return false
	})
	return found, err
}
