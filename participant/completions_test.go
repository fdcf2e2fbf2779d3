package participant_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/store"
)

// Asynchronous submission and completions: commands submitted with a command id return
// once sent, and their outcomes come as completions with consecutive offsets: committed
// (with the update's offset), rejected (with the reason) and timed out (mediator down).
// A participant rebuilt from the chain serves the same completions: the user and
// command id travel (encrypted) in the request's submitter metadata.
func TestCommandCompletions(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newByzWorld(t, ctx)
	bank := w.bankNode
	if err := bank.SubmitCommandAsync(ctx, w.proposalCmd("1"), "bank-app", "p-1"); err != nil {
		t.Fatal(err)
	}
	if err := bank.SubmitCommandAsync(ctx, w.proposalCmd("2"), "bank-app", "p-1"); !errors.Is(err, participant.ErrCommandInFlight) {
		// The first may already be done on a fast chain: then it is a duplicate.
		if err == nil || !strings.Contains(err.Error(), "duplicate command") {
			t.Fatalf("the same command id again: %v", err)
		}
	}
	first := completionsUpTo(t, ctx, bank, 1)
	if c := first[0]; c.Offset != 1 || !c.Committed || c.CommandID != "p-1" || c.UserID != "bank-app" || c.UpdateOffset == 0 ||
		len(c.ActAs) != 1 || c.ActAs[0] != string(w.bank) {
		t.Fatalf("completion %+v", c)
	}

	// Rejected: two acceptances of one proposal, both sent before either is decided: the
	// second's input is locked or gone.
	prop := w.propose("3")
	accept := ledger.ExerciseCommand([]ledger.Party{w.alice}, w.tid(), prop, "Accept", ledger.Record{})
	trader := w.traderNode
	for _, id := range []string{"a-1", "a-2"} {
		if err := trader.SubmitCommandAsync(ctx, accept, "alice-app", id); err != nil {
			t.Fatal(err)
		}
	}
	if err := trader.WaitNoPending(ctx); err != nil {
		t.Fatal(err)
	}
	// Timed out: no mediator.
	prop4 := w.propose("4")
	w.med.Stop()
	if err := trader.SubmitCommandAsync(ctx, ledger.ExerciseCommand([]ledger.Party{w.alice}, w.tid(), prop4, "Accept", ledger.Record{}), "alice-app", "a-3"); err != nil {
		t.Fatal(err)
	}
	got := completionsUpTo(t, ctx, trader, 3)
	byID := map[string]store.CommandCompletion{}
	for i, c := range got {
		if c.Offset != int64(i+1) {
			t.Fatalf("completion %d has offset %d", i+1, c.Offset)
		}
		byID[c.CommandID] = c
	}
	if a1, a2 := byID["a-1"], byID["a-2"]; a1.Committed == a2.Committed || a1.TimedOut || a2.TimedOut {
		t.Fatalf("two acceptances of one proposal: %+v and %+v, want one committed and one rejected", a1, a2)
	}
	for _, id := range []string{"a-1", "a-2"} {
		if c := byID[id]; !c.Committed && c.Reason == "" {
			t.Fatalf("a rejection without a reason: %+v", c)
		}
	}
	if a3 := byID["a-3"]; a3.Committed || !a3.TimedOut || !strings.Contains(a3.Reason, "timed out") || got[2].CommandID != "a-3" {
		t.Fatalf("without a mediator: %+v", a3)
	}
	w.startMediator()

	// Rebuilt from the chain: the same completions.
	trader.Stop()
	w.traderNode = w.startNode("traderp", nil)
	again := completionsUpTo(t, ctx, w.traderNode, 3)
	for i := range got {
		a, b := again[i], got[i]
		if a.Offset != b.Offset || a.CommandID != b.CommandID || a.UserID != b.UserID || a.Committed != b.Committed || a.TimedOut != b.TimedOut ||
			a.RequestID != b.RequestID || a.UpdateOffset != b.UpdateOffset {
			t.Fatalf("rebuilt completion %d: %+v, before %+v", i+1, a, b)
		}
	}
	w.settle()
}

// completionsUpTo reads n's completions until it has want of them.
func completionsUpTo(t *testing.T, ctx context.Context, n *participant.Node, want int) []store.CommandCompletion {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var out []store.CommandCompletion
	for len(out) < want {
		cs, err := n.CompletionsFrom(ctx, int64(len(out)+1))
		if err != nil {
			t.Fatalf("%d completions of %d: %v", len(out), want, err)
		}
		out = append(out, cs...)
	}
	return out[:want]
}
