package participant_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/commitments"
	"github.com/cometsync/cometsync/participant/ledgerapi"
)

// TestParticipantPruning: the trader prunes its updates and archived contracts before
// its ledger end once its commitments matched the bank's at a tick after them; reading an
// update before the pruned offset is PARTICIPANT_PRUNED_DATA_ACCESSED, the archived
// proposal is gone, the IOU stays and a snapshot is still exported. After its database
// lost a contract, pruning is refused while the mismatch is outstanding.
func TestParticipantPruning(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	e, trader, traderStore := startIOUEnv(t, ctx)
	end := trader.Progress().LedgerEnd
	if end < 2 {
		t.Fatalf("ledger end %d: want the proposal and its acceptance", end)
	}
	if _, err := participant.CheckPrune(traderStore, end+2); !errors.Is(err, participant.ErrPruneUnsafe) || !strings.Contains(err.Error(), "beyond the ledger end") {
		t.Fatalf("beyond the ledger end: %v", err)
	}
	// Safe once a tick after the acceptance was computed and the bank's commitment for
	// it matched: wait for that, event by event.
	var lastErr error
	if err := trader.WaitProgress(ctx, func(participant.Progress) bool {
		_, lastErr = participant.CheckPrune(traderStore, end+1)
		return lastErr == nil
	}); err != nil {
		t.Fatalf("never a safe point (last: %v): %v", lastErr, err)
	}
	before := trader.Updates()
	p, r, err := trader.Prune(end + 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pruned before %d at tick %d, matched with %v: %+v", end+1, p.Tick.Tick, p.Matched, r)
	if r.Updates != len(before) || r.Contracts < 1 || len(p.Matched) != 1 || p.Matched[0] != e.bankID {
		t.Fatalf("prune %+v %+v, %d updates before", p, r, len(before))
	}
	if got := trader.PrunedOffset(); got != end+1 {
		t.Fatalf("pruned offset %d, want %d", got, end+1)
	}
	b := participant.LedgerBackend{N: trader}
	if got := b.PrunedOffset(); got != end+1 {
		t.Fatalf("Ledger API pruned offset %d, want %d", got, end+1)
	}
	_, _, err = b.UpdateAt(1)
	if !errors.Is(err, ledgerapi.ErrPrunedDataAccessed) || !strings.Contains(err.Error(), "pruned offset") {
		t.Fatalf("reading offset 1 after pruning: %v", err)
	}
	if _, err := b.UpdatesFrom(ctx, 1); !errors.Is(err, ledgerapi.ErrPrunedDataAccessed) {
		t.Fatalf("streaming from offset 1 after pruning: %v", err)
	}
	for _, u := range before {
		for _, id := range u.Archived {
			if _, ok := b.Contract(id); ok {
				t.Fatalf("archived contract %s still stored", id)
			}
		}
	}
	if _, ok := b.Contract(e.iou); !ok {
		t.Fatal("the active IOU was pruned")
	}
	if _, err := participant.CheckPrune(traderStore, end+1); !errors.Is(err, participant.ErrPruneUnsafe) || !strings.Contains(err.Error(), "nothing to prune") {
		t.Fatalf("pruning again: %v", err)
	}

	// A new IOU after pruning, then the trader's database loses it: the bank's and the
	// trader's commitments disagree, and pruning is refused while that is outstanding.
	iou2 := e.transferIOU(t, ctx, trader, "9")
	if _, err := trader.ExportSnapshot(0, nil); err != nil {
		t.Fatalf("snapshot after pruning: %v", err)
	}
	trader.Stop()
	txn := traderStore.DB().NewTransaction(true)
	for _, k := range []string{"participant/active/" + string(iou2), "participant/contract/" + string(iou2)} {
		if err := txn.Delete([]byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	trader, err = participant.Start(ctx, e.traderCfg(traderStore))
	if err != nil {
		t.Fatal(err)
	}
	defer trader.Stop()
	if _, err := trader.WaitCommitment(ctx, func(o commitments.Outcome) bool { return o.Counter == e.bankID && !o.Match }); err != nil {
		t.Fatalf("no mismatch reported: %v", err)
	}
	newEnd := trader.Progress().LedgerEnd
	_, _, err = trader.Prune(newEnd + 1)
	if !errors.Is(err, participant.ErrPruneUnsafe) || !strings.Contains(err.Error(), "mismatch with "+e.bankID) {
		t.Fatalf("pruning with a mismatch outstanding: %v", err)
	}
	t.Logf("refused: %v", err)
}
