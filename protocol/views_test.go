package protocol

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cometsync/cometsync/ledger"
)

// wantView is one expected view: its path, its action, its informees (a trailing *
// marks a confirming one) and the participants it is sent to.
type wantView struct {
	path       string
	action     string
	informees  string
	recipients []string
}

func checkViews(t *testing.T, p *Prepared, pl *SubmissionPlan, want []wantView) {
	t.Helper()
	views := p.Views()
	if len(views) != len(want) || len(pl.Views) != len(want) {
		t.Fatalf("%d views, %d envelopes, want %d", len(views), len(pl.Views), len(want))
	}
	for i, w := range want {
		v, env := views[i], pl.Views[i]
		a := v.Participant.Action
		action := fmt.Sprintf("%s %s", a.Kind, a.Template.Name)
		if a.Choice != "" {
			action += "." + a.Choice
		}
		if v.Path.String() != w.path || action != w.action || fmt.Sprint(v.Common.Informees) != w.informees {
			t.Errorf("view %d: %s %s %v, want %s %s %s", i, v.Path, action, v.Common.Informees, w.path, w.action, w.informees)
		}
		if env.Path.String() != w.path || !slices.Equal(env.Recipients, w.recipients) || env.ViewHash != v.Hash() {
			t.Errorf("envelope %s: recipients %v, want %v", env.Path, env.Recipients, w.recipients)
		}
	}
}

func rootHashRecipients(pl *SubmissionPlan) []string {
	var out []string
	for _, m := range pl.RootHashMessages {
		out = append(out, m.Participant)
	}
	return out
}

func TestIouTransferViews(t *testing.T) {
	w := newWorld(t)
	s := w.iouTransfer()
	p := prepare(t, s, seedOf(1))
	pl := plan(t, p, hosting)
	checkViews(t, p, pl, []wantView{
		{"0", "exercise IouTransferProposal.Accept", "[Alice::1220cc* Bob::1220dd*]", []string{pTrader}},
		{"0.0", "exercise Iou.Transfer", "[Alice::1220cc* Bank::1220aa* Bob::1220dd*]", []string{pBank, pTrader}},
		{"0.0.0", "create Iou", "[Bank::1220aa* Bob::1220dd*]", []string{pBank, pTrader}},
	})
	if got := rootHashRecipients(pl); !slices.Equal(got, []string{pBank, pTrader}) {
		t.Errorf("root hash messages to %v", got)
	}
	for _, participant := range []string{pRegistry, pCarol} {
		if got := pl.ViewsFor(participant); got != nil {
			t.Errorf("%s hosts no informee but receives %v", participant, got)
		}
	}
	validateAll(t, w, s, pl)
}

func TestDvpViews(t *testing.T) {
	w := newWorld(t)
	s := w.dvpSettle(alice, bob)
	p := prepare(t, s, seedOf(2))
	pl := plan(t, p, hosting)
	checkViews(t, p, pl, []wantView{
		{"0", "exercise DvpProposal.Settle", "[Alice::1220cc* Bob::1220dd*]", []string{pTrader}},
		{"0.0", "fetch Asset", "[Bob::1220dd* Registry::1220bb*]", []string{pRegistry, pTrader}},
		{"0.1", "fetch Iou", "[Alice::1220cc* Bank::1220aa*]", []string{pBank, pTrader}},
		{"0.2", "exercise Iou.Transfer", "[Alice::1220cc* Bank::1220aa* Bob::1220dd*]", []string{pBank, pTrader}},
		{"0.2.0", "create Iou", "[Bank::1220aa* Bob::1220dd*]", []string{pBank, pTrader}},
		{"0.3", "exercise Asset.Transfer", "[Alice::1220cc* Bob::1220dd* Registry::1220bb*]", []string{pRegistry, pTrader}},
		{"0.3.0", "create Asset", "[Alice::1220cc* Registry::1220bb*]", []string{pRegistry, pTrader}},
	})
	legs := map[string]string{pBank: "[0.1 0.2 0.2.0]", pRegistry: "[0.0 0.3 0.3.0]", pCarol: "[]",
		pTrader: "[0 0.0 0.1 0.2 0.2.0 0.3 0.3.0]"}
	for participant, want := range legs {
		if got := fmt.Sprint(pl.ViewsFor(participant)); got != want {
			t.Errorf("%s receives %s, want %s", participant, got, want)
		}
	}
	if got := rootHashRecipients(pl); !slices.Equal(got, []string{pBank, pRegistry, pTrader}) {
		t.Errorf("root hash messages to %v", got)
	}
	validateAll(t, w, s, pl)
}

// TestDvpLegPrivacy checks the plaintexts themselves: nothing an issuer's participant
// receives mentions the other leg or the proposal.
func TestDvpLegPrivacy(t *testing.T) {
	w := newWorld(t)
	pl := plan(t, prepare(t, w.dvpSettle(alice, bob), seedOf(3)), hosting)
	secrets := map[string][]string{
		pBank:     {"ACME shares", string(registry), "DvpProposal", "Asset"},
		pRegistry: {"USD", string(bank), "DvpProposal", "Iou"},
	}
	for _, env := range pl.Views {
		for participant, words := range secrets {
			if !slices.Contains(env.Recipients, participant) {
				continue
			}
			for _, word := range words {
				if bytes.Contains(env.Plaintext, []byte(word)) {
					t.Errorf("view %s sent to %s mentions %q", env.Path, participant, word)
				}
			}
		}
	}
}

// validateAll has every recipient of every envelope validate it: all checks pass.
func validateAll(t *testing.T, w *world, s *submission, pl *SubmissionPlan) {
	t.Helper()
	val := validator(w, s.before)
	for _, env := range pl.Views {
		for _, r := range env.Recipients {
			rv, err := val.ValidateView(env.Plaintext, pl.RootHash, env.Recipients, testTime.Add(time.Second))
			if err != nil {
				t.Fatalf("%s validating view %s: %v", r, env.Path, err)
			}
			if rv.View.Hash() != env.ViewHash || !slices.Equal(rv.View.Path, env.Path) {
				t.Fatalf("%s received view %s as %s", r, env.Path, rv.View.Path)
			}
		}
	}
}

// A transaction with several root actions has a root view per action, each validated on
// its own.
func TestSeveralRootViews(t *testing.T) {
	w := newWorld(t)
	first, second := w.iouTransfer(), w.dvpSettle(carol, bob)
	both := &submission{cmd: second.cmd, tx: &ledger.Transaction{Roots: []*ledger.Node{first.tx.Roots[0], second.tx.Roots[0]}},
		before: ledger.ContractMap{}}
	for _, s := range []*submission{first, second} {
		for id, c := range s.before {
			both.before[id] = c
		}
	}
	p, err := Prepare(both.tx, both.before, Metadata{SubmittingParticipant: pTrader, Submitters: ledger.NewPartySet(bob),
		SynchronizerID: syncID, LedgerTime: testTime}, seedOf(6))
	if err != nil {
		t.Fatal(err)
	}
	pl := plan(t, p, hosting)
	if got := fmt.Sprint(pl.ViewsFor(pCarol)); got != "[1 1.1 1.2 1.3 1.3.0]" {
		t.Fatalf("carol's participant receives %s", got)
	}
	validateAll(t, w, both, pl)
}
