package store_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/cometsync/cometsync/mediator"
	"github.com/cometsync/cometsync/mediator/store"
	"github.com/cometsync/cometsync/member"
)

// TestPruneKeepsOpenRequests: after a run with finished and held requests, pruning at a
// point in the middle removes the records of finished requests before it only; pruning
// after the run removes every finished request's records and keeps those of the request
// still held. The checkpoint is untouched, a core restored from it continues and commits,
// and the record indices go on from where they were.
func TestPruneKeepsOpenRequests(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.Bind(identity); err != nil {
		t.Fatal(err)
	}
	run := &mediatorRun{core: w.core(), outbox: map[string]store.Verdict{}}
	evs := w.events()
	for i, ev := range evs {
		run.step(t, s, int64(i), ev)
	}
	before, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	held := map[int64]bool{}
	for _, r := range before.Core.Requests {
		held[r.ID] = true
	}
	if len(held) == 0 {
		t.Fatal("no request held at the end of the run: nothing tested")
	}
	if _, err := s.Prune(0); !errors.Is(err, store.ErrPruneInvalid) {
		t.Fatalf("prune before 0: %v, want %v", err, store.ErrPruneInvalid)
	}

	check := func(point int64) store.PruneReport {
		t.Helper()
		rep, err := s.Prune(point)
		if err != nil {
			t.Fatal(err)
		}
		left, err := s.Records(0, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, r := range run.records {
			if r.EventMicros < point && r.RequestIdMicros < point && !held[r.RequestIdMicros] {
				continue
			}
			want = append(want, r.String())
		}
		var got []string
		for _, r := range left {
			got = append(got, r.String())
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("prune before %d: records left\n got %v\nwant %v", point, got, want)
		}
		if pb, err := s.PrunedBefore(); err != nil || pb != point {
			t.Fatalf("pruned before %d, %v; want %d", pb, err, point)
		}
		return rep
	}
	middle := check(t0 + 4)
	end := check(t0 + timeout + 100)
	if middle.Removed == 0 || end.Removed == 0 || end.KeptOpen == 0 {
		t.Fatalf("pruning removed %d then %d records and kept %d of held requests: nothing tested", middle.Removed, end.Removed, end.KeptOpen)
	}
	after, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after.Core, before.Core) || after.Next != before.Next || len(after.Outbox) != len(before.Outbox) {
		t.Fatal("pruning changed the state the mediator restarts from")
	}
	count, err := s.RecordCount()
	if err != nil || count != uint64(len(run.records)) {
		t.Fatalf("record count %d, %v; want %d", count, err, len(run.records))
	}

	// A core restored from the pruned database continues.
	core, err := mediator.Restore(w.config(), after.Core)
	if err != nil {
		t.Fatal(err)
	}
	if err := core.Step(w.answer(t0+timeout+200, p1, t0+7, "alice", "")); err != nil {
		t.Fatal(err)
	}
	rd := core.Ready()
	if err := s.Commit(member.Step[store.Verdict, store.Change]{Counter: int64(len(evs)), State: store.ChangeOf(core.Meta(), rd)}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RecordCount(); err != nil || n != count+uint64(len(rd.Records)) || len(rd.Records) == 0 {
		t.Fatalf("after a commit on the pruned database: %d records, %v; want %d", n, err, count+uint64(len(rd.Records)))
	}
}
