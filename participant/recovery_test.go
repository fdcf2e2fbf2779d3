package participant_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"context"

	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/engine"
	"github.com/cometsync/cometsync/participant/store"
)

func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// acceptAsync has the trader accept id in the background; the result arrives on the
// returned channel.
func (w *chainWorld) acceptAsync(id ledger.ContractID) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- w.accept(id) }()
	return ch
}

// TestParticipantRestartsWithPendingRequest: the bank participant keeps its state in a
// database on disk. With the mediator down, the trader's acceptance is sequenced, the
// bank validates it, locks the proposal and answers; it is then stopped while the request
// awaits its verdict. Restarted over the same database it resumes from the next event
// with the request still pending (not from counter 0), and when the mediator returns the
// transaction commits at both participants.
func TestParticipantRestartsWithPendingRequest(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newChainWorld(t, ctx)
	dir := t.TempDir()
	w.bankNode.Stop()
	first := openStore(t, dir)
	w.bankNode = w.startNode("bankp", first) // rebuilt from the chain into the disk store
	if err := w.accept(w.propose("1")); err != nil {
		t.Fatal(err)
	}
	prop := w.propose("2")
	w.med.Stop()
	done := w.acceptAsync(prop)
	// The bank answered (its response's receipt is on its stream) and awaits the verdict.
	if err := w.bankNode.WaitProgress(ctx, func(p participant.Progress) bool { return p.Pending == 1 && p.Outbox == 0 }); err != nil {
		t.Fatal(err)
	}
	before := w.bankNode.Progress()
	beforeUpdates := w.bankNode.Updates()
	w.bankNode.Stop()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	st := openStore(t, dir)
	t.Cleanup(func() { st.Close() })
	w.bankNode = w.startNode("bankp", st)
	if got := w.bankNode.Progress(); got.Pending != 1 || got.NextCounter < before.NextCounter || got.LedgerEnd != before.LedgerEnd {
		t.Fatalf("restarted node: %+v; it stopped at %+v", got, before)
	}
	w.startMediator()
	if err := <-done; err != nil {
		t.Fatalf("the acceptance across the bank's restart: %v", err)
	}
	settled := func(acs ledger.ContractMap) bool {
		return countTemplate(acs, "Iou") == 2 && countTemplate(acs, "IouProposal") == 0
	}
	waitACS(t, ctx, w.bankNode, settled)
	waitACS(t, ctx, w.traderNode, settled)
	if !bytes.Equal(w.bankNode.ACSHash(), w.traderNode.ACSHash()) {
		t.Fatal("bank and trader active contracts differ")
	}
	after := w.bankNode.Updates()
	if len(after) != len(beforeUpdates)+1 || renderUpdates(after[:len(beforeUpdates)]) != renderUpdates(beforeUpdates) {
		t.Fatalf("update log across the restart:\nbefore %s\nafter  %s", renderUpdates(beforeUpdates), renderUpdates(after))
	}
	w.noDuplicateSends("bankp")
	w.noDuplicateSends("mediator") // restarted from nothing with the request pending
}

// TestParticipantWipedMidWorkflow: the bank participant is down when the trader's
// acceptance is sequenced, and comes back with an empty database. It replays its stream
// from counter 0, finds the request it has not answered, answers it once it is live,
// and the transaction commits; its update log and active contracts equal what it had
// before the wipe plus the new transaction, and no message of its is on the chain twice.
func TestParticipantWipedMidWorkflow(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newChainWorld(t, ctx)
	if err := w.accept(w.propose("1")); err != nil {
		t.Fatal(err)
	}
	prop := w.propose("2")
	beforeUpdates := w.bankNode.Updates()
	w.bankNode.Stop()
	done := w.acceptAsync(prop)
	if err := w.traderNode.WaitProgress(ctx, func(p participant.Progress) bool { return p.Pending == 1 }); err != nil {
		t.Fatal(err)
	}
	w.bankNode = w.startNode("bankp", nil) // empty database: replay from counter 0
	if err := <-done; err != nil {
		t.Fatalf("the acceptance across the bank's wipe: %v", err)
	}
	settled := func(acs ledger.ContractMap) bool {
		return countTemplate(acs, "Iou") == 2 && countTemplate(acs, "IouProposal") == 0
	}
	waitACS(t, ctx, w.bankNode, settled)
	waitACS(t, ctx, w.traderNode, settled)
	if !bytes.Equal(w.bankNode.ACSHash(), w.traderNode.ACSHash()) {
		t.Fatal("bank and trader active contracts differ")
	}
	after := w.bankNode.Updates()
	if len(after) != len(beforeUpdates)+1 || renderUpdates(after[:len(beforeUpdates)]) != renderUpdates(beforeUpdates) {
		t.Fatalf("update log across the wipe:\nbefore %s\nafter  %s", renderUpdates(beforeUpdates), renderUpdates(after))
	}
	lookUpUpdates(t, w.bankNode, after) // the replay rebuilt the root hash index too
	w.noDuplicateSends("bankp")
}

// lookUpUpdates checks that the Ledger API backend finds each of us by offset and by id
// (root hash hex), and nothing past the end or under an unknown id.
func lookUpUpdates(t *testing.T, n *participant.Node, us []engine.Update) {
	t.Helper()
	b := participant.LedgerBackend{N: n}
	for _, u := range us {
		byOffset, ok, err := b.UpdateAt(u.Offset)
		if err != nil || !ok || byOffset.Offset != u.Offset || len(byOffset.Created) != len(u.Created) {
			t.Fatalf("UpdateAt(%d) = %+v, %v, %v", u.Offset, byOffset, ok, err)
		}
		byID, ok, err := b.UpdateByID(byOffset.RootHash)
		if err != nil || !ok || byID.Offset != u.Offset {
			t.Fatalf("UpdateByID(%s) = %+v, %v, %v (want offset %d)", byOffset.RootHash, byID, ok, err, u.Offset)
		}
	}
	if _, ok, err := b.UpdateAt(int64(len(us)) + 1); ok || err != nil {
		t.Fatalf("UpdateAt past the end: %v, %v", ok, err)
	}
	for _, id := range []string{"", "zz", fmt.Sprintf("%064x", 0)} {
		if _, ok, err := b.UpdateByID(id); ok || err != nil {
			t.Fatalf("UpdateByID(%q): %v, %v", id, ok, err)
		}
	}
}

// noDuplicateSends checks that no message id of name's appears twice on its stream.
func (w *chainWorld) noDuplicateSends(name string) {
	w.t.Helper()
	r, release := w.net.Node(0).Snapshot()
	defer release()
	evs, err := readAll(r, w.net.Member(name).ID)
	if err != nil {
		w.t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ev := range evs {
		if ev.MessageId == "" {
			continue
		}
		if seen[ev.MessageId] {
			w.t.Fatalf("%s's message %s is on the chain twice", name, ev.MessageId)
		}
		seen[ev.MessageId] = true
	}
	if len(seen) == 0 {
		w.t.Fatalf("no message of %s's found on its stream", name)
	}
}

func renderUpdates(us []engine.Update) string {
	var b bytes.Buffer
	for _, u := range us {
		fmt.Fprintf(&b, "[%d %d %x +", u.Offset, u.RequestID, u.RootHash[:4])
		for _, c := range u.Created {
			fmt.Fprintf(&b, "%s,", c.ID[:8])
		}
		fmt.Fprintf(&b, " -%v]", u.Archived)
	}
	return b.String()
}
