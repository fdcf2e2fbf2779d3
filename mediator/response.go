package mediator

import (
	"fmt"
	"slices"

	pb "github.com/cometsync/cometsync/proto/mediatorpb"
	"github.com/cometsync/cometsync/protocol"
)

// onResponse counts a confirmation response's answers and decides the request when they
// settle it. Whatever does not count is recorded with the reason.
func (c *Core) onResponse(e ResponseEvent) {
	resp, err := c.admitResponse(e)
	if err != nil {
		c.ignore(e.Sender, 0, "", 0, err)
		return
	}
	r, err := c.responseTarget(resp)
	if err != nil {
		c.ignore(e.Sender, resp.RequestIdMicros, "", resp.ViewPosition, err)
		return
	}
	c.count(r, resp, e.Sender)
	if res := r.outcome(); res != nil {
		c.decide(r, e.TS, res)
	}
}

// admitResponse decodes the response and checks its sender and signature.
func (c *Core) admitResponse(e ResponseEvent) (*pb.ConfirmationResponse, error) {
	signed, resp, err := protocol.DecodeSignedResponse(e.Signed)
	if err != nil {
		return nil, err
	}
	if resp.Sender != e.Sender {
		return nil, fmt.Errorf("%w: response names %q", ErrSenderMismatch, resp.Sender)
	}
	if err := c.cfg.Verifier.Verify(e.Sender, signed.SigningKey, e.TS, protocol.ResponseDigest(signed.Response), signed.Signature); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return resp, nil
}

// responseTarget finds the undecided request the response answers and checks the
// response's request-level fields.
func (c *Core) responseTarget(resp *pb.ConfirmationResponse) (*request, error) {
	r := c.requests[resp.RequestIdMicros]
	switch {
	case r == nil:
		return nil, ErrUnknownRequest
	case r.decided:
		return nil, ErrAlreadyDecided
	case string(resp.RootHash) != string(r.rootHash):
		return nil, ErrWrongRootHash
	case c.cfg.SynchronizerID != "" && resp.SynchronizerId != c.cfg.SynchronizerID:
		return nil, ErrWrongSynchronizer
	case resp.Verdict != pb.Verdict_VERDICT_APPROVE && resp.Verdict != pb.Verdict_VERDICT_REJECT:
		return nil, fmt.Errorf("%w: %v", ErrNoVerdict, resp.Verdict)
	case len(resp.ConfirmingParties) == 0:
		return nil, ErrNoParties
	case !resp.AllViews && r.view(resp.ViewPosition) == nil:
		return nil, fmt.Errorf("%w: %d", ErrUnknownView, resp.ViewPosition)
	}
	return r, nil
}

// count applies the response to every targeted view and listed party.
func (c *Core) count(r *request, resp *pb.ConfirmationResponse, sender string) {
	views := r.views
	if !resp.AllViews {
		views = []*view{r.view(resp.ViewPosition)}
	}
	parties := slices.Clone(resp.ConfirmingParties)
	slices.Sort(parties)
	parties = slices.Compact(parties)
	matched := make([]bool, len(parties))
	for _, v := range views {
		for i, p := range parties {
			if t := v.tally(p); t != nil {
				matched[i] = true
				c.countVote(r, v, t, resp, sender)
			}
		}
	}
	for i, p := range parties {
		if !matched[i] {
			c.ignore(sender, r.id, p, resp.ViewPosition, fmt.Errorf("%w (all views: %t)", ErrNotConfirming, resp.AllViews))
		}
	}
}

// countVote counts sender's answer for one view and party if it may give one.
func (c *Core) countVote(r *request, v *view, t *tally, resp *pb.ConfirmationResponse, sender string) {
	approve := resp.Verdict == pb.Verdict_VERDICT_APPROVE
	switch {
	case !t.hosts(sender):
		c.ignore(sender, r.id, t.party, v.position, ErrNotHosted)
		return
	case !t.vote(sender, approve):
		c.ignore(sender, r.id, t.party, v.position, ErrDuplicateVote)
		return
	}
	c.changes.touch(r.id)
	c.record(&pb.Record{
		Kind: pb.RecordKind_RECORD_KIND_VOTE_COUNTED, RequestIdMicros: r.id, Participant: sender,
		ViewPosition: v.position, Party: t.party, Detail: resp.Verdict.String(),
	})
	if !approve {
		r.rejections = append(r.rejections, &pb.Rejection{
			ViewPosition: v.position, Party: t.party, Participant: sender, Code: resp.RejectCode, Reason: resp.RejectReason,
		})
	}
}

// ignore records a response, or its part for one view and party, that does not count.
func (c *Core) ignore(sender string, request int64, party string, pos uint32, err error) {
	c.record(&pb.Record{
		Kind: pb.RecordKind_RECORD_KIND_RESPONSE_IGNORED, RequestIdMicros: request, Participant: sender,
		ViewPosition: pos, Party: party, Detail: err.Error(),
	})
	c.log.Debug("response ignored", "sender", sender, "request", request, "party", party, "view", pos, "reason", err)
}
