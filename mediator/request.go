package mediator

import (
	"math"
	"slices"

	pb "github.com/cometsync/cometsync/proto/mediatorpb"
	"github.com/cometsync/cometsync/protocol"
)

// onRequest registers a request under its timestamp and either rejects it at once
// (malformed) or leaves it pending until its decision time.
func (c *Core) onRequest(e RequestEvent) {
	if _, dup := c.requests[e.TS]; dup {
		c.record(&pb.Record{Kind: pb.RecordKind_RECORD_KIND_REQUEST_IGNORED, RequestIdMicros: e.TS, Detail: "duplicate request id"})
		return
	}
	r := &request{id: e.TS, decision: addSaturating(e.TS, e.DecisionTimeout)}
	c.requests[r.id] = r
	c.deadlines.push(deadline{at: r.decision, id: r.id})
	tree, err := protocol.DecodeMediatorInformeeTree(e.InformeeTree)
	r.rootHash = orNil(requestRootHash(tree, e.RootHashMessages))
	r.recipients = c.recipients(e, tree)
	c.changes.create(r.id)
	if err == nil {
		err = c.build(r, tree, e)
	}
	if err != nil {
		c.decide(r, e.TS, malformedResult(err))
		return
	}
	c.record(&pb.Record{Kind: pb.RecordKind_RECORD_KIND_REQUEST_PENDING, RequestIdMicros: r.id, DecisionMicros: r.decision})
	c.ready.TimeProofs = append(c.ready.TimeProofs, TimeProof{RequestID: r.id, After: r.decision})
}

// build checks the tree against the root hash messages and the topology at the request's
// time and sets up the tallies of the confirming parties.
func (c *Core) build(r *request, t *pb.InformeeTree, e RequestEvent) error {
	if err := c.checkTree(t); err != nil {
		return err
	}
	if err := c.checkSubmitter(t.Metadata, e); err != nil {
		return err
	}
	if err := checkRootHashes(t.RootHash, e.RootHashMessages); err != nil {
		return err
	}
	views, err := c.tallies(t, e.TS)
	if err != nil {
		return err
	}
	if err := checkRootHashRecipients(views, e.RootHashMessages); err != nil {
		return err
	}
	r.views = views
	return nil
}

// tallies builds a view per informee view with a tally per confirming party, hosted as
// the topology says at time at.
func (c *Core) tallies(t *pb.InformeeTree, at int64) ([]*view, error) {
	views := make([]*view, 0, len(t.Views))
	for _, iv := range t.Views {
		v := &view{position: iv.Position}
		for _, inf := range iv.Informees {
			if !inf.Confirming {
				continue
			}
			tl := newTally(inf.Party, c.cfg.Topology.Hosting(inf.Party, at))
			if tl.threshold < 1 || len(tl.confirmers) < tl.threshold {
				return nil, requestErr(pb.RejectCode_REJECT_CODE_UNCONFIRMABLE_PARTY,
					"view %d: party %s has threshold %d and %d confirming participants", iv.Position, inf.Party, tl.threshold, len(tl.confirmers))
			}
			v.parties = append(v.parties, tl)
		}
		views = append(views, v)
	}
	return views, nil
}

// recipients returns the participants a verdict goes to: the recipients of the root hash
// messages and every participant hosting an informee at the request's time.
func (c *Core) recipients(e RequestEvent, t *pb.InformeeTree) []string {
	var out []string
	for _, m := range e.RootHashMessages {
		out = append(out, m.Recipients...)
	}
	if t != nil {
		for _, v := range t.Views {
			for _, inf := range v.Informees {
				h := c.cfg.Topology.Hosting(inf.Party, e.TS)
				out = append(append(out, h.Confirmers...), h.Observers...)
			}
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > 0 && out[0] == "" {
		out = out[1:]
	}
	return orNil(out)
}

// requestRootHash is the tree's root hash, or the first root hash message's when the tree
// cannot be decoded.
func requestRootHash(t *pb.InformeeTree, msgs []RootHashMessage) []byte {
	switch {
	case t != nil:
		return t.RootHash
	case len(msgs) > 0:
		return msgs[0].RootHash
	}
	return nil
}

func addSaturating(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// checkSubmitter checks that the request was sent (as the sequencer attests) by the
// submitting participant its metadata names, and that this participant hosts every
// submitter with Submission permission at the request's time. An event without a sender
// (tests of the aggregation alone) skips it.
func (c *Core) checkSubmitter(md *pb.RequestMetadata, e RequestEvent) error {
	if e.Sender == "" {
		return nil
	}
	code := pb.RejectCode_REJECT_CODE_SUBMITTER_NOT_AUTHORIZED
	if e.Sender != md.SubmittingParticipant {
		return requestErr(code, "submitter_not_authorized: the request was sent by %q, its metadata names the submitting participant %s", e.Sender, md.SubmittingParticipant)
	}
	for _, p := range md.Submitters {
		if !slices.Contains(c.cfg.Topology.Hosting(p, e.TS).Submitters, e.Sender) {
			return requestErr(code, "submitter_not_authorized: %s does not host submitter %s with submission permission", e.Sender, p)
		}
	}
	return nil
}
