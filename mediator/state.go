package mediator

import (
	"slices"

	pb "github.com/cometsync/cometsync/proto/mediatorpb"
)

// request is the state of a request from its arrival until its decision time has passed.
type request struct {
	id         int64
	rootHash   []byte
	decision   int64
	recipients []string
	views      []*view // in informee tree order
	rejections []*pb.Rejection
	decided    bool
}

// view holds the tallies of a view's confirming parties, sorted by party.
type view struct {
	position uint32
	parties  []*tally
}

// tally counts the answers of one confirming party's participants for one view.
type tally struct {
	party      string
	threshold  int
	confirmers []string // sorted, distinct
	votes      map[string]bool
	approvals  int
	rejections int
}

func newTally(party string, h PartyHosting) *tally {
	c := slices.Clone(h.Confirmers)
	slices.Sort(c)
	return &tally{party: party, threshold: h.Threshold, confirmers: slices.Compact(c), votes: map[string]bool{}}
}

// hosts reports whether p may answer for the party.
func (t *tally) hosts(p string) bool {
	_, ok := slices.BinarySearch(t.confirmers, p)
	return ok
}

func (t *tally) reached() bool { return t.approvals >= t.threshold }

// unreachable reports whether too many participants rejected for the threshold to be
// reached by the others.
func (t *tally) unreachable() bool { return len(t.confirmers)-t.rejections < t.threshold }

// vote counts p's answer; it reports false if p already answered.
func (t *tally) vote(p string, approve bool) bool {
	if _, dup := t.votes[p]; dup {
		return false
	}
	t.votes[p] = approve
	if approve {
		t.approvals++
	} else {
		t.rejections++
	}
	return true
}

func (t *tally) viewParty(pos uint32) *pb.ViewParty {
	return &pb.ViewParty{ViewPosition: pos, Party: t.party, Approvals: uint32(t.approvals), Threshold: uint32(t.threshold)}
}

func (v *view) tally(party string) *tally {
	i, ok := slices.BinarySearchFunc(v.parties, party, func(t *tally, p string) int {
		switch {
		case t.party < p:
			return -1
		case t.party > p:
			return 1
		}
		return 0
	})
	if !ok {
		return nil
	}
	return v.parties[i]
}

func (r *request) view(pos uint32) *view {
	for _, v := range r.views {
		if v.position == pos {
			return v
		}
	}
	return nil
}
