package mediator_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/mediator"
	pb "github.com/cometsync/cometsync/proto/mediatorpb"
)

// TestMalformedRequests: each check rejects at once with its own code and reason, and the
// request takes no responses.
func TestMalformedRequests(t *testing.T) {
	good := func() *pb.InformeeTree { return treeMsg(rootA, iv(0, conf("alice"), conf("bob"))) }
	all := rhm(rootA, p1, p2)
	for _, tc := range []struct {
		name   string
		tree   func() *pb.InformeeTree
		raw    []byte // instead of tree
		msgs   []mediator.RootHashMessage
		code   pb.RejectCode
		reason string
	}{
		{name: "undecodable tree", raw: []byte{0x0a, 0xff}, msgs: []mediator.RootHashMessage{all}, code: codeMal, reason: "informee tree"},
		{name: "short root hash", tree: func() *pb.InformeeTree { t := good(); t.RootHash = []byte{1}; return t },
			msgs: []mediator.RootHashMessage{rhm([]byte{1}, p1, p2)}, code: codeMal, reason: "root hash has 1 bytes"},
		{name: "no metadata", tree: func() *pb.InformeeTree { t := good(); t.Metadata = nil; return t },
			msgs: []mediator.RootHashMessage{all}, code: codeMal, reason: "no metadata"},
		{name: "other synchronizer", tree: func() *pb.InformeeTree { t := good(); t.Metadata.SynchronizerId = "x"; return t },
			msgs: []mediator.RootHashMessage{all}, code: codeMal, reason: "synchronizer"},
		{name: "other mediator group", tree: func() *pb.InformeeTree { t := good(); t.Metadata.MediatorGroup = 3; return t },
			msgs: []mediator.RootHashMessage{all}, code: codeMal, reason: "mediator group 3"},
		{name: "no views", tree: func() *pb.InformeeTree { return treeMsg(rootA) },
			msgs: []mediator.RootHashMessage{all}, code: pb.RejectCode_REJECT_CODE_NO_VIEWS, reason: "no views"},
		{name: "duplicate view position", tree: func() *pb.InformeeTree { return treeMsg(rootA, iv(0, conf("alice")), iv(0, conf("bob"))) },
			msgs: []mediator.RootHashMessage{all}, code: codeMal, reason: "view position 0 appears twice"},
		{name: "unsorted informees", tree: func() *pb.InformeeTree { return treeMsg(rootA, iv(0, conf("bob"), conf("alice"))) },
			msgs: []mediator.RootHashMessage{all}, code: codeMal, reason: "not sorted"},
		{name: "empty party", tree: func() *pb.InformeeTree { return treeMsg(rootA, iv(0, conf(""))) },
			msgs: []mediator.RootHashMessage{all}, code: codeMal, reason: "non-empty"},
		{name: "view without confirming party", tree: func() *pb.InformeeTree {
			return treeMsg(rootA, iv(0, conf("alice")), iv(1, obs("bob"), obs("carol")))
		}, msgs: []mediator.RootHashMessage{all}, code: pb.RejectCode_REJECT_CODE_VIEW_WITHOUT_CONFIRMING_PARTY, reason: "view 1 has no confirming party"},
		{name: "no root hash message", tree: good, code: pb.RejectCode_REJECT_CODE_MISSING_ROOT_HASH_MESSAGE, reason: "no root hash message"},
		{name: "root hash mismatch", tree: good, msgs: []mediator.RootHashMessage{rhm(rootA, p1), rhm(rootOf("b"), p2)},
			code: pb.RejectCode_REJECT_CODE_ROOT_HASH_MISMATCH, reason: "root hash message 1"},
		{name: "confirming participant without root hash message", tree: good, msgs: []mediator.RootHashMessage{rhm(rootA, p1, p3)},
			code: pb.RejectCode_REJECT_CODE_MISSING_ROOT_HASH_MESSAGE, reason: "participant PAR::p2 hosts confirming party bob"},
		{name: "unhosted confirming party", tree: func() *pb.InformeeTree { return treeMsg(rootA, iv(0, conf("alice"), conf("zed"))) },
			msgs: []mediator.RootHashMessage{all}, code: pb.RejectCode_REJECT_CODE_UNCONFIRMABLE_PARTY, reason: "party zed has threshold 0"},
		{name: "observer-only party marked confirming", tree: func() *pb.InformeeTree { return treeMsg(rootA, iv(0, conf("carol"))) },
			msgs: []mediator.RootHashMessage{rhm(rootA, p1, p4)}, code: pb.RejectCode_REJECT_CODE_UNCONFIRMABLE_PARTY, reason: "party carol"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ev := mediator.RequestEvent{TS: t0, InformeeTree: tc.raw, RootHashMessages: tc.msgs, DecisionTimeout: timeout}
			if tc.tree != nil {
				ev.InformeeTree = mustMarshal(t, tc.tree())
			}
			f.step(ev, f.approve(t0+1, p1, t0, ps("alice")), tick(dl+1))
			want := []verdict{rejected(t0, tc.code, t0)}
			if got := verdictsOf(f.out); !slices.Equal(got, want) {
				t.Fatalf("verdicts %v, want %v", got, want)
			}
			res := f.out[0].Result
			if !strings.Contains(res.RejectReason, tc.reason) {
				t.Errorf("reason %q does not mention %q", res.RejectReason, tc.reason)
			}
			if !slices.Contains(f.out[0].Recipients, p1) {
				t.Errorf("recipients %v lack the root hash recipient %s", f.out[0].Recipients, p1)
			}
			checkIgnored(t, f.recs, []error{mediator.ErrAlreadyDecided})
		})
	}
}

func TestRequestErrorUnwrapsToItsSentinel(t *testing.T) {
	err := error(&mediator.RequestError{Code: pb.RejectCode_REJECT_CODE_ROOT_HASH_MISMATCH, Reason: "x"})
	if !errors.Is(err, mediator.ErrRootHashMismatch) || errors.Is(err, mediator.ErrNoViews) {
		t.Fatalf("%v unwraps wrongly", err)
	}
}
