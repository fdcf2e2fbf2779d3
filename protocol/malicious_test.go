package protocol

import (
	"errors"
	"testing"
	"time"

	"github.com/cometsync/cometsync/ledger"
)

// forge builds the view tree at path with mutate applied to the shown view and every hash
// up to the root recomputed: the consistent tree a malicious submitter would send, and
// the root hash it would announce.
func forge(t *testing.T, p *Prepared, path ViewPath, mutate func(*TreeView)) ([]byte, Hash) {
	t.Helper()
	tree := viewTreeCopy(t, p, path)
	chain := []*TreeView{tree.Views[path[0]]}
	for _, i := range path[1:] {
		chain = append(chain, chain[len(chain)-1].SubViews[i])
	}
	mutate(chain[len(chain)-1])
	for i := len(chain) - 1; i >= 0; i-- {
		chain[i].rehash()
	}
	return EncodeTree(tree), tree.RootHash()
}

// viewTreeCopy returns a deep copy of p's view tree at path, safe to modify.
func viewTreeCopy(t *testing.T, p *Prepared, path ViewPath) *Tree {
	t.Helper()
	tree, err := p.ViewTree(path)
	if err != nil {
		t.Fatal(err)
	}
	tree, err = DecodeTree(EncodeTree(tree))
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func receive(t *testing.T, b []byte, root Hash) *ReceivedView {
	t.Helper()
	rv, err := CheckViewAgainstRoot(b, root)
	if err != nil {
		t.Fatalf("a consistent forged tree must pass the root check: %v", err)
	}
	return rv
}

func settled(t testing.TB) (*world, *submission, *Prepared) {
	w := newWorld(t)
	s := w.dvpSettle(alice, bob)
	return w, s, prepare(t, s, seedOf(7))
}

// Seed 003, scenario 1: the submitter drops the bank from the cash leg's informees so that
// only the trader participant confirms it.
func TestWrongInformeesDetected(t *testing.T) {
	_, _, p := settled(t)
	b, root := forge(t, p, ViewPath{0, 2}, func(tv *TreeView) {
		tv.Common.Informees = []Informee{{alice, true}, {bob, true}}
	})
	err := CheckInformees(receive(t, b, root).View)
	var ie *InformeeMismatchError
	if !errors.As(err, &ie) || !errors.Is(err, ErrWrongInformees) || ie.View.String() != "0.2" {
		t.Fatalf("want an informee mismatch on view 0.2, got %v", err)
	}
	// A confirming flag turned off is as wrong as a missing party.
	b, root = forge(t, p, ViewPath{0, 2}, func(tv *TreeView) { tv.Common.Informees[1].Confirming = false })
	if err := CheckInformees(receive(t, b, root).View); !errors.Is(err, ErrWrongInformees) {
		t.Fatalf("confirming flag: %v", err)
	}
}

// Seed 003, scenario 2: correct informees, but the envelope leaves out the bank's
// participant.
func TestWithheldViewDetected(t *testing.T) {
	_, _, p := settled(t)
	env := envelope(t, plan(t, p, hosting), "0.2")
	rv := receive(t, env.Plaintext, p.RootHash())
	err := CheckRecipients(rv.View, []string{pTrader}, hosting)
	var me *MissingRecipientError
	if !errors.As(err, &me) || me.Participant != pBank || me.Party != bank || !errors.Is(err, ErrMissingRecipient) {
		t.Fatalf("want the bank's participant missing, got %v", err)
	}
	if err := CheckRecipients(rv.View, env.Recipients, hosting); err != nil {
		t.Fatalf("full recipient list: %v", err)
	}
	unhosted := HostingMap{string(alice): {pTrader}, string(bob): {pTrader}}
	if err := CheckRecipients(rv.View, env.Recipients, unhosted); !errors.Is(err, ErrUnhostedParty) {
		t.Fatalf("bank hosted nowhere: %v", err)
	}
	if _, err := Recipients(p, unhosted); !errors.Is(err, ErrUnhostedParty) {
		t.Fatalf("planning with an unhosted informee: %v", err)
	}
}

// Equivocation: a view from another preparation of the same transaction does not belong
// to the announced root.
func TestViewFromAnotherTreeDetected(t *testing.T) {
	_, s, p := settled(t)
	other := prepare(t, s, seedOf(8))
	env := envelope(t, plan(t, other, hosting), "0.2")
	_, err := CheckViewAgainstRoot(env.Plaintext, p.RootHash())
	var re *RootHashMismatchError
	if !errors.As(err, &re) || re.Announced != p.RootHash() || re.Computed != other.RootHash() {
		t.Fatalf("want a root hash mismatch, got %v", err)
	}
}

func TestConformanceMismatchDetected(t *testing.T) {
	w, s, p := settled(t)
	tests := []struct {
		name   string
		path   ViewPath
		mutate func(*TreeView)
		want   error
	}{
		{"created amount", ViewPath{0, 2, 0}, func(tv *TreeView) {
			tv.Participant.Action.Arguments["amount"] = dec("1000")
			tv.Participant.Created = createdBy(tv.Participant.Action)
		}, ledger.ErrMismatch},
		{"consequence amount in the parent", ViewPath{0, 2}, func(tv *TreeView) {
			tv.Participant.Action.Children[0].Arguments["amount"] = dec("1000")
			tv.Participant.Created = createdBy(tv.Participant.Action)
		}, ledger.ErrMismatch},
		{"declared creation", ViewPath{0, 2, 0}, func(tv *TreeView) { tv.Participant.Created = nil }, ErrConformance},
		{"declared input", ViewPath{0, 1}, func(tv *TreeView) { tv.Participant.Inputs = nil }, ErrConformance},
		{"authorizers", ViewPath{0, 2}, func(tv *TreeView) { tv.Participant.Authorizers = ledger.NewPartySet(bob) }, ledger.ErrAuthorization},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, root := forge(t, p, tc.path, tc.mutate)
			err := CheckConformance(w.pkgs, receive(t, b, root).View, s.before)
			var ce *ConformanceError
			if !errors.As(err, &ce) || !errors.Is(err, ErrConformance) || !errors.Is(err, tc.want) {
				t.Fatalf("want a conformance error wrapping %v, got %v", tc.want, err)
			}
		})
	}
}

// A fetch does not show the fetched contract's arguments, so reinterpretation alone cannot
// see a forged input; the participant's own copy can.
func TestForgedInputContractDetected(t *testing.T) {
	w, s, p := settled(t)
	b, root := forge(t, p, ViewPath{0, 1}, func(tv *TreeView) {
		forged := *tv.Participant.Inputs[0]
		forged.Arguments = ledger.Record{}
		for k, v := range tv.Participant.Inputs[0].Arguments {
			forged.Arguments[k] = v
		}
		forged.Arguments["amount"] = dec("1")
		tv.Participant.Inputs[0] = &forged
	})
	v := receive(t, b, root).View
	err := CheckConformance(w.pkgs, v, s.before)
	var ce *ConformanceError
	if !errors.As(err, &ce) || ce.Field != "inputs" {
		t.Fatalf("want a forged input, got %v", err)
	}
	if err := CheckConformance(w.pkgs, v, ledger.ContractMap{}); err != nil {
		t.Fatalf("without a local copy reinterpretation alone accepts the fetch: %v", err)
	}
}

// The parent's recipients recompute its sub-views: a sub-view with forged authorizers has
// a hash the honest parent does not declare, and a parent declaring it is caught.
func TestSubViewMismatchDetected(t *testing.T) {
	_, _, p := settled(t)
	forgedSub := viewTreeCopy(t, p, ViewPath{0, 2})
	forgedSub.Views[0].SubViews[2].Participant.Authorizers = ledger.NewPartySet(bob)
	forgedSub.Views[0].SubViews[2].rehash()
	forgedHash := forgedSub.Views[0].SubViews[2].Hash

	b, root := forge(t, p, ViewPath{0}, func(tv *TreeView) {
		tv.SubViews[2] = &TreeView{Path: ViewPath{0, 2}, Hash: forgedHash, Blinded: true}
	})
	err := CheckSubViews(receive(t, b, root).View)
	var se *SubViewMismatchError
	if !errors.As(err, &se) || se.Index != 2 || !errors.Is(err, ErrSubViewMismatch) {
		t.Fatalf("want sub-view 2 mismatching, got %v", err)
	}
	// A sub-view validated at another ledger time than its parent: the asset leg's
	// reinterpretation does not read the time, but the parent's recipients notice.
	timeSub := viewTreeCopy(t, p, ViewPath{0, 3})
	timeSub.Views[0].SubViews[3].Participant.LedgerTime = testTime.Add(time.Hour)
	timeSub.Views[0].SubViews[3].rehash()
	b, root = forge(t, p, ViewPath{0}, func(tv *TreeView) {
		tv.SubViews[3] = &TreeView{Path: ViewPath{0, 3}, Hash: timeSub.Views[0].SubViews[3].Hash, Blinded: true}
	})
	if err := CheckSubViews(receive(t, b, root).View); !errors.As(err, &se) || se.Index != 3 {
		t.Fatalf("want sub-view 3 mismatching, got %v", err)
	}
	b, root = forge(t, p, ViewPath{0}, func(tv *TreeView) { tv.SubViews = tv.SubViews[:3] })
	if err := CheckSubViews(receive(t, b, root).View); !errors.As(err, &se) || se.Index != -1 {
		t.Fatalf("want a sub-view count mismatch, got %v", err)
	}
}

func TestMetadataMismatchDetected(t *testing.T) {
	_, _, p := settled(t)
	b, root := forge(t, p, ViewPath{0}, func(tv *TreeView) { tv.Participant.Authorizers = ledger.NewPartySet(alice, bob) })
	var me *MetadataMismatchError
	if err := CheckMetadata(receive(t, b, root)); !errors.As(err, &me) || me.Field != "authorizers" {
		t.Fatalf("root authorizers other than the submitters: %v", err)
	}
	b, root = forge(t, p, ViewPath{0}, func(tv *TreeView) { tv.Participant.LedgerTime = testTime.Add(time.Second) })
	if err := CheckMetadata(receive(t, b, root)); !errors.As(err, &me) || me.Field != "ledger time" {
		t.Fatalf("ledger time differing from the metadata: %v", err)
	}
	tree := viewTreeCopy(t, p, ViewPath{0})
	tree.Submitter = nil
	rv := receive(t, EncodeTree(tree), p.RootHash())
	if err := CheckMetadata(rv); !errors.As(err, &me) || me.Field != "submitter metadata" {
		t.Fatalf("root view without the submitter metadata: %v", err)
	}
}

func TestLedgerTimeTolerance(t *testing.T) {
	seq := testTime
	tests := []struct {
		lt time.Time
		ok bool
	}{
		{seq, true},
		{seq.Add(-tolerance), true},
		{seq.Add(tolerance), true},
		{seq.Add(-tolerance - time.Microsecond), false},
		{seq.Add(tolerance + time.Microsecond), false},
		{seq.Add(-time.Hour), false},
	}
	for _, tc := range tests {
		err := CheckLedgerTime(tc.lt, seq, tolerance)
		var le *LedgerTimeError
		if tc.ok != (err == nil) || !tc.ok && (!errors.As(err, &le) || !errors.Is(err, ErrLedgerTime)) {
			t.Errorf("ledger time %s: %v", tc.lt.Sub(seq), err)
		}
	}
	// Through the validator: a sequencing time far from the ledger time rejects the view.
	w, s, p := settled(t)
	env := envelope(t, plan(t, p, hosting), "0")
	if _, err := validator(w, s.before).ValidateView(env.Plaintext, p.RootHash(), env.Recipients, testTime.Add(time.Hour)); !errors.Is(err, ErrLedgerTime) {
		t.Fatalf("sequenced an hour later: %v", err)
	}
}
