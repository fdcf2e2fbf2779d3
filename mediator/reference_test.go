package mediator_test

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"

	"github.com/cometsync/cometsync/mediator"
	pb "github.com/cometsync/cometsync/proto/mediatorpb"
)

// refModel is the mediator specification written as simply as possible: votes are a set
// of (view, party, participant) answers, and every question is answered by scanning.
type refModel struct {
	s    *scenario
	reqs []*refReq
	out  []string
}

type refReq struct {
	id, decision int64
	root         []byte
	views        []*pb.InformeeView
	hosting      map[string]mediator.PartyHosting
	votes        map[string]bool // "pos/party/participant" -> approve
	decided      bool
}

func newRefModel(s *scenario) *refModel { return &refModel{s: s} }

func (m *refModel) run() []string {
	for i, ev := range m.s.events {
		ts := ev.Timestamp()
		m.timeouts(ts)
		switch e := ev.(type) {
		case mediator.RequestEvent:
			m.request(e, m.s.trees[i])
		case mediator.ResponseEvent:
			m.response(ts, m.s.resps[i])
		}
	}
	return m.out
}

func (m *refModel) timeouts(ts int64) {
	var due []*refReq
	for _, r := range m.reqs {
		if !r.decided && r.decision < ts {
			due = append(due, r)
		}
	}
	slices.SortFunc(due, func(a, b *refReq) int { return cmp.Or(cmp.Compare(a.decision, b.decision), cmp.Compare(a.id, b.id)) })
	for _, r := range due {
		line := fmt.Sprintf("req %d VERDICT_REJECT REJECT_CODE_TIMEOUT at %d", r.id, ts)
		for _, v := range r.views {
			for _, inf := range v.Informees {
				if a, _, thr := r.count(v.Position, inf); inf.Confirming && a < thr {
					line += fmt.Sprintf(" %d/%s:%d/%d", v.Position, inf.Party, a, thr)
				}
			}
		}
		m.decide(r, line)
	}
}

// count returns the approvals and rejections for a confirming informee and its threshold.
func (r *refReq) count(pos uint32, inf *pb.Informee) (approvals, rejections, threshold int) {
	h := r.hosting[inf.Party]
	for _, p := range h.Confirmers {
		if ok, voted := r.votes[fmt.Sprintf("%d/%s/%s", pos, inf.Party, p)]; voted && ok {
			approvals++
		} else if voted {
			rejections++
		}
	}
	return approvals, rejections, h.Threshold
}

func (m *refModel) decide(r *refReq, line string) {
	r.decided = true
	m.out = append(m.out, line)
}

func (m *refModel) request(e mediator.RequestEvent, tree *pb.InformeeTree) {
	r := &refReq{id: e.TS, decision: e.TS + e.DecisionTimeout, root: tree.RootHash, views: tree.Views,
		hosting: map[string]mediator.PartyHosting{}, votes: map[string]bool{}}
	m.reqs = append(m.reqs, r)
	for _, v := range tree.Views {
		for _, inf := range v.Informees {
			r.hosting[inf.Party] = m.s.f.topo.Hosting(inf.Party, e.TS)
		}
	}
	if code := r.malformed(e.RootHashMessages); code != 0 {
		m.decide(r, fmt.Sprintf("req %d VERDICT_REJECT %v at %d", r.id, code, e.TS))
	}
}

// malformed checks in the documented order: views, root hash messages, hosting,
// root hash recipients.
func (r *refReq) malformed(msgs []mediator.RootHashMessage) pb.RejectCode {
	var recipients []string
	for _, v := range r.views {
		if !slices.ContainsFunc(v.Informees, func(i *pb.Informee) bool { return i.Confirming }) {
			return pb.RejectCode_REJECT_CODE_VIEW_WITHOUT_CONFIRMING_PARTY
		}
	}
	if len(msgs) == 0 {
		return pb.RejectCode_REJECT_CODE_MISSING_ROOT_HASH_MESSAGE
	}
	for _, m := range msgs {
		if !bytes.Equal(m.RootHash, r.root) {
			return pb.RejectCode_REJECT_CODE_ROOT_HASH_MISMATCH
		}
		recipients = append(recipients, m.Recipients...)
	}
	for _, v := range r.views {
		for _, inf := range v.Informees {
			if h := r.hosting[inf.Party]; inf.Confirming && (h.Threshold < 1 || len(h.Confirmers) < h.Threshold) {
				return pb.RejectCode_REJECT_CODE_UNCONFIRMABLE_PARTY
			}
		}
	}
	for _, v := range r.views {
		for _, inf := range v.Informees {
			for _, p := range r.hosting[inf.Party].Confirmers {
				if inf.Confirming && !slices.Contains(recipients, p) {
					return pb.RejectCode_REJECT_CODE_MISSING_ROOT_HASH_MESSAGE
				}
			}
		}
	}
	return 0
}

func (m *refModel) response(ts int64, resp *pb.ConfirmationResponse) {
	i := slices.IndexFunc(m.reqs, func(r *refReq) bool { return r.id == resp.RequestIdMicros })
	if i < 0 || m.reqs[i].decided || !bytes.Equal(resp.RootHash, m.reqs[i].root) {
		return
	}
	r := m.reqs[i]
	for _, v := range r.views {
		if !resp.AllViews && v.Position != resp.ViewPosition {
			continue
		}
		for _, inf := range v.Informees {
			key := fmt.Sprintf("%d/%s/%s", v.Position, inf.Party, resp.Sender)
			_, voted := r.votes[key]
			if inf.Confirming && slices.Contains(resp.ConfirmingParties, inf.Party) &&
				slices.Contains(r.hosting[inf.Party].Confirmers, resp.Sender) && !voted {
				r.votes[key] = resp.Verdict == pb.Verdict_VERDICT_APPROVE
			}
		}
	}
	m.evaluate(r, ts)
}

func (m *refModel) evaluate(r *refReq, ts int64) {
	lost, all := "", true
	for _, v := range r.views {
		for _, inf := range v.Informees {
			if !inf.Confirming {
				continue
			}
			a, rj, thr := r.count(v.Position, inf)
			if len(r.hosting[inf.Party].Confirmers)-rj < thr {
				lost += fmt.Sprintf(" %d/%s:%d/%d", v.Position, inf.Party, a, thr)
			}
			all = all && a >= thr
		}
	}
	switch {
	case lost != "":
		m.decide(r, fmt.Sprintf("req %d VERDICT_REJECT REJECT_CODE_PARTICIPANT_REJECTED at %d%s", r.id, ts, lost))
	case all:
		m.decide(r, fmt.Sprintf("req %d VERDICT_APPROVE REJECT_CODE_UNSPECIFIED at %d", r.id, ts))
	}
}
