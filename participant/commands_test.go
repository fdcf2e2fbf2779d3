package participant_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/ledgerapi"
)

// Exactly-once commands: a command id (with the user and actAs parties) commits once.
// Two concurrent submissions of it: one commits, the other waits for it and is answered
// as a duplicate with the same offset; a later retry is a duplicate too, also after the
// participant was wiped and rebuilt from the chain (the record is derived from its own
// stream); another user's same command id, or another id, is a new command; a rejected
// command's id may be used again.
func TestCommandDeduplication(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newChainWorld(t, ctx)
	create := w.proposalCmd("5")
	proposals := func(n *participant.Node) int { return countTemplate(n.ACS(), "IouProposal") }

	var wg sync.WaitGroup
	type result struct {
		offset int64
		err    error
	}
	results := make([]result, 2)
	for i := range results {
		wg.Go(func() {
			c, err := w.bankNode.SubmitCommand(ctx, create, "bank-app", "c-1")
			results[i] = result{c.Offset, err}
		})
	}
	wg.Wait()
	var committed, duplicates int
	var offset int64
	for _, r := range results {
		var dup *ledgerapi.DuplicateCommandError
		switch {
		case r.err == nil:
			committed++
			offset = r.offset
		case errors.As(r.err, &dup):
			duplicates++
		default:
			t.Fatalf("concurrent submission: %v", r.err)
		}
	}
	if committed != 1 || duplicates != 1 || proposals(w.bankNode) != 1 {
		t.Fatalf("%d committed, %d duplicates, %d proposals: want 1, 1, 1", committed, duplicates, proposals(w.bankNode))
	}
	assertDuplicate := func(n *participant.Node, want int64) {
		t.Helper()
		_, err := n.SubmitCommand(ctx, create, "bank-app", "c-1")
		var dup *ledgerapi.DuplicateCommandError
		if !errors.As(err, &dup) || dup.Offset != want || dup.CommandID != "c-1" {
			t.Fatalf("retry: %v, want a duplicate at offset %d", err, want)
		}
	}
	assertDuplicate(w.bankNode, offset)

	// Wiped and rebuilt from the chain: the same answer.
	w.bankNode.Stop()
	w.bankNode = w.startNode("bankp", nil)
	if err := w.bankNode.WaitProgress(ctx, func(p participant.Progress) bool { return p.Live && p.LedgerEnd >= offset }); err != nil {
		t.Fatal(err)
	}
	assertDuplicate(w.bankNode, offset)
	if proposals(w.bankNode) != 1 {
		t.Fatalf("%d proposals after the rebuild", proposals(w.bankNode))
	}

	// Another user, another id: new commands.
	for _, tc := range []struct{ user, id string }{{"other-app", "c-1"}, {"bank-app", "c-2"}} {
		if _, err := w.bankNode.SubmitCommand(ctx, create, tc.user, tc.id); err != nil {
			t.Fatalf("user %s id %s: %v", tc.user, tc.id, err)
		}
	}
	if proposals(w.bankNode) != 3 {
		t.Fatalf("%d proposals, want 3", proposals(w.bankNode))
	}

	// A rejected command's id can be used again: a-2 accepts a proposal that a-1 already
	// accepted (rejected: its input is gone), then a-2 accepts another proposal: it
	// commits.
	prop := w.propose("6")
	acceptCmd := func(id ledger.ContractID) ledger.Command {
		return ledger.ExerciseCommand([]ledger.Party{w.alice}, w.tid(), id, "Accept", ledger.Record{})
	}
	if _, err := w.traderNode.SubmitCommand(ctx, acceptCmd(prop), "alice-app", "a-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.traderNode.SubmitCommand(ctx, acceptCmd(prop), "alice-app", "a-2"); err == nil {
		t.Fatal("accepting an archived proposal committed")
	} else if errors.Is(err, ledgerapi.ErrDuplicateCommand) {
		t.Fatalf("a new id answered as a duplicate: %v", err)
	}
	if _, err := w.traderNode.SubmitCommand(ctx, acceptCmd(w.propose("7")), "alice-app", "a-2"); err != nil {
		t.Fatalf("a rejected command's id used again: %v", err)
	}
}
