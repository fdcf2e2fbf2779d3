package core_test

import (
	"testing"

	"github.com/cometsync/cometsync/abci/core"
)

// TestPlanPrune: a member's acknowledged events before the cut-off go, with the batches
// no remaining entry refers to; a member that did not acknowledge keeps its events and
// holds pruning back (and with it the batches it shares); pruning changes no later
// verdict or app hash (a pruned and an unpruned replica stay equal); Force removes the
// laggard's events and names it.
func TestPlanPrune(t *testing.T) {
	f := newFixture(t, core.DefaultParameters(), "PAR::alice", "PAR::bob", "PAR::carol", "MED::m@0")
	alice, bob, carol := f.id("PAR::alice"), f.id("PAR::bob"), f.id("PAR::carol")
	x, y := f.newReplica(t), f.newReplica(t)
	both := func(ts int64, txs ...[]byte) {
		a, b := x.exec(ts, txs...), y.exec(ts, txs...)
		if string(a.Meta.AppHash) != string(b.Meta.AppHash) {
			t.Fatalf("block at %d: the pruned replica's app hash differs", ts)
		}
		for i := range a.TxResults {
			if a.TxResults[i] != b.TxResults[i] {
				t.Fatalf("block at %d: tx %d: %v vs %v", ts, i, a.TxResults[i], b.TxResults[i])
			}
		}
	}
	// alice -> bob (3 blocks), alice -> carol (1 block)
	for i := range 3 {
		both(t0+int64(i)*1000, f.sign(request(alice, "ab"+string(rune('0'+i)), t0+10_000, envelope("x", to(bob)))))
	}
	both(t0+3000, f.sign(request(alice, "ac", t0+10_000, envelope("x", to(carol)))))
	aev, bev := x.events(alice), x.events(bob)
	both(t0+4000, f.ackTx(t, f.keys[alice], alice, 3, aev[3].TimestampMicros), f.ackTx(t, f.keys[bob], bob, 2, bev[2].TimestampMicros))
	plan, err := core.PlanPrune(x.r, core.PruneOptions{BeforeMicros: t0 + 2500})
	if err != nil {
		t.Fatal(err)
	}
	x.r.Apply(plan.Writes)
	// Events at t0, t0+1000, t0+2000 of alice and bob go; the batches too (both acknowledged).
	if plan.Stats.Events != 6 || plan.Stats.Batches != 3 {
		t.Fatalf("pruned %d events, %d batches, want 6 and 3: %+v", plan.Stats.Events, plan.Stats.Batches, plan.Stats)
	}
	for _, c := range []struct {
		m    string
		want int64
	}{{alice, 3}, {bob, 3}, {carol, 0}} {
		if got, err := core.EarliestCounter(x.r, c.m); err != nil || got != c.want {
			t.Errorf("earliest counter of %s: %d %v, want %d", short(c.m), got, err, c.want)
		}
	}
	if evs := x.events(alice); len(evs) != 1 || evs[0].Counter != 3 {
		t.Fatalf("alice's stream after the prune: %v", evs)
	}
	// carol never acknowledged: the batch at t0+3000 is hers too and stays.
	plan, err = core.PlanPrune(x.r, core.PruneOptions{BeforeMicros: t0 + 3500})
	if err != nil {
		t.Fatal(err)
	}
	x.r.Apply(plan.Writes)
	if len(plan.Held) != 1 || plan.Held[0].Member != carol || plan.Held[0].Acknowledged != -1 || plan.Held[0].Kept != 1 {
		t.Fatalf("held back %+v, want carol with 1 event", plan.Held)
	}
	if plan.Stats.Batches != 0 {
		t.Fatalf("pruned the batch carol did not acknowledge: %+v", plan.Stats)
	}
	if evs := x.events(carol); len(evs) != 1 || len(evs[0].Batch.Envelopes) != 1 {
		t.Fatalf("carol's stream: %v", evs)
	}
	// The chain goes on alike on both replicas, dedupe verdicts included.
	both(t0+20_000, f.sign(request(alice, "ab0", t0+30_000, envelope("again", to(bob)))))
	// Forced: carol's event goes and she is named.
	plan, err = core.PlanPrune(x.r, core.PruneOptions{BeforeMicros: t0 + 3500, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	x.r.Apply(plan.Writes)
	if len(plan.Lost) != 1 || plan.Lost[0] != carol || plan.Stats.Batches != 1 {
		t.Fatalf("forced prune: lost %v, %+v", plan.Lost, plan.Stats)
	}
	if got, _ := core.EarliestCounter(x.r, carol); got != 1 {
		t.Fatalf("carol's earliest counter %d, want 1", got)
	}
	both(t0+40_000, f.sign(request(bob, "b", t0+50_000, envelope("y", to(carol)))))
}
