package engine

import (
	"bytes"
	"slices"
	"strings"

	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/mediator"
	mediatorpb "github.com/cometsync/cometsync/proto/mediatorpb"
)

// handleResult commits or discards the request a verified verdict is about.
func (e *Engine) handleResult(ts int64, signed []byte) error {
	var s mediatorpb.SignedTransactionResult
	if err := s.Unmarshal(signed); err != nil {
		return nil // not a verdict: ignore
	}
	var claimed mediatorpb.TransactionResult
	if err := claimed.Unmarshal(s.Result); err != nil {
		return nil
	}
	r, err := mediator.VerifyResult(e.cfg.Mediators, claimed.Mediator, ts, &s)
	if err != nil {
		return nil // a forged or unverifiable verdict changes nothing
	}
	req := e.pending[r.RequestIdMicros]
	if req == nil || !bytes.Equal(r.RootHash, req.root[:]) {
		return nil
	}
	delete(e.pending, r.RequestIdMicros)
	e.ready.PendingRemoved = append(e.ready.PendingRemoved, r.RequestIdMicros)
	for _, id := range req.locked {
		delete(e.locks, id)
	}
	committed := r.Verdict == mediatorpb.Verdict_VERDICT_APPROVE && req.approved
	c := Completion{RequestID: r.RequestIdMicros, Committed: committed, Reason: r.RejectReason}
	if committed {
		e.commit(r.RequestIdMicros, req)
		c.Offset = e.offset
	}
	e.ready.Completions = append(e.ready.Completions, c)
	return nil
}

// commit applies the views' effects: archive what they consume, add what they create
// for a stakeholder this participant hosts.
func (e *Engine) commit(id int64, req *request) {
	hosting := e.cfg.Hosting(id)
	e.offset++
	u := Update{Offset: e.offset, RequestID: id, RootHash: req.root}
	for _, cid := range req.consumed {
		if _, ok := e.acs[cid]; ok {
			delete(e.acs, cid)
			u.Archived = append(u.Archived, cid)
		}
	}
	for _, c := range req.created {
		if _, dup := e.acs[c.ID]; dup || !e.hostsStakeholder(c, hosting) {
			continue
		}
		e.acs[c.ID] = c
		u.Created = append(u.Created, c)
	}
	slices.SortFunc(u.Created, func(a, b *ledger.Contract) int { return strings.Compare(string(a.ID), string(b.ID)) })
	e.ready.Updates = append(e.ready.Updates, u)
}

func (e *Engine) hostsStakeholder(c *ledger.Contract, hosting interface{ Participants(string) []string }) bool {
	for _, p := range c.Stakeholders() {
		if slices.Contains(hosting.Participants(string(p)), e.cfg.Participant) {
			return true
		}
	}
	return false
}
