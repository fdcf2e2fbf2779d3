package store_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/mediator"
	"github.com/cometsync/cometsync/mediator/store"
	"github.com/cometsync/cometsync/member"
	pb "github.com/cometsync/cometsync/proto/mediatorpb"
)

var identity = store.Identity{Mediator: medID, SynchronizerID: syncID}

func open(t *testing.T, dir string) *store.Store {
	t.Helper()
	s, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() }) // a second Close after the test's own is harmless
	return s
}

// verdictOf is the outbox message of a result (the signature faked).
func verdictOf(r mediator.Result) member.Message[store.Verdict] {
	return member.Message[store.Verdict]{ID: r.MessageID(), Msg: store.Verdict{Result: r, Signed: []byte("signed " + r.MessageID())}}
}

// mediatorRun steps events into core and commits each, as the member runtime does: the
// receipt of the oldest outbox message arrives with every third event.
type mediatorRun struct {
	core    *mediator.Core
	outbox  map[string]store.Verdict
	records []*pb.Record
}

func (m *mediatorRun) step(t *testing.T, s *store.Store, counter int64, ev mediator.Event) {
	t.Helper()
	if err := m.core.Step(ev); err != nil {
		t.Fatal(err)
	}
	rd := m.core.Ready()
	st := member.Step[store.Verdict, store.Change]{Counter: counter, State: store.ChangeOf(m.core.Meta(), rd)}
	if ids := slices.Sorted(mapKeys(m.outbox)); counter%3 == 2 && len(ids) > 0 {
		st.OutboxDel = ids[:1]
		delete(m.outbox, ids[0])
	}
	for _, r := range rd.Results {
		msg := verdictOf(r)
		st.OutboxAdd = append(st.OutboxAdd, msg)
		m.outbox[msg.ID] = msg.Msg
	}
	if err := s.Commit(st); err != nil {
		t.Fatalf("commit %d: %v", counter, err)
	}
	m.records = append(m.records, rd.Records...)
	m.core.Advance()
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestCommitReopenLoad: commit a run, close, reopen: Load gives the position, outbox and
// checkpoint of the core, and a core restored from it continues like the original.
func TestCommitReopenLoad(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.Bind(identity); err != nil {
		t.Fatal(err)
	}
	evs := w.events()
	last := evs[len(evs)-1]
	evs = evs[:len(evs)-1]
	run := &mediatorRun{core: w.core(), outbox: map[string]store.Verdict{}}
	rejections := 0
	for i, ev := range evs {
		run.step(t, s, int64(i), ev)
		// Every commit leaves the database at the core's state.
		st, err := s.Load()
		if err != nil {
			t.Fatal(err)
		}
		if cp := run.core.Checkpoint(); st.Next != int64(i+1) || !reflect.DeepEqual(st.Core, cp) {
			t.Fatalf("after event %d: next %d, checkpoint\n got %+v\nwant %+v", i, st.Next, st.Core, cp)
		}
		checkOutbox(t, st.Outbox, run.outbox)
		for _, r := range st.Core.Requests {
			rejections += len(r.Rejections)
		}
	}
	if rejections == 0 {
		t.Fatal("no rejection stored: the run tests too little")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, dir)
	if err := s.Bind(identity); err != nil {
		t.Fatal(err)
	}
	st, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if st.Next != int64(len(evs)) || st.Position().Next != st.Next {
		t.Fatalf("next counter %d, want %d", st.Next, len(evs))
	}
	want := run.core.Checkpoint()
	if !reflect.DeepEqual(st.Core, want) {
		t.Fatalf("checkpoint\n got %+v\nwant %+v", st.Core, want)
	}
	if len(want.Requests) == 0 || len(st.Outbox) == 0 {
		t.Fatalf("the run left %d requests and %d outbox messages: nothing tested", len(want.Requests), len(st.Outbox))
	}
	checkOutbox(t, st.Outbox, run.outbox)

	// The restored core steps the last event like the original.
	restored, err := mediator.Restore(w.config(), st.Core)
	if err != nil {
		t.Fatal(err)
	}
	if err := restored.Step(last); err != nil {
		t.Fatal(err)
	}
	if err := run.core.Step(last); err != nil {
		t.Fatal(err)
	}
	if got, want := restored.Ready(), run.core.Ready(); !reflect.DeepEqual(got, want) || len(want.Results) == 0 {
		t.Fatalf("restored core's Ready\n got %+v\nwant %+v", got, want)
	}

	n, err := s.RecordCount()
	if err != nil || n != uint64(len(run.records)) {
		t.Fatalf("record count %d %v, want %d", n, err, len(run.records))
	}
	checkRecords(t, s, 0, 1000, run.records)
	checkRecords(t, s, 3, 4, run.records[3:7])
	checkRecords(t, s, n, 10, nil)
}

func checkOutbox(t *testing.T, got []member.Message[store.Verdict], want map[string]store.Verdict) {
	t.Helper()
	if ids := slices.Sorted(mapKeys(want)); len(got) != len(ids) {
		t.Fatalf("outbox has %d messages, want %v", len(got), ids)
	}
	for i, m := range got {
		w, ok := want[m.ID]
		switch {
		case !ok || (i > 0 && got[i-1].ID >= m.ID):
			t.Fatalf("outbox message %d: %s unexpected or out of order", i, m.ID)
		case m.Msg.Result.Seq != w.Result.Seq || m.Msg.Result.EventTS != w.Result.EventTS ||
			!slices.Equal(m.Msg.Result.Recipients, w.Result.Recipients) || string(m.Msg.Signed) != string(w.Signed) ||
			string(mustMarshal(t, m.Msg.Result.Result)) != string(mustMarshal(t, w.Result.Result)):
			t.Fatalf("outbox message %s\n got %+v\nwant %+v", m.ID, m.Msg, w)
		}
	}
}

func checkRecords(t *testing.T, s *store.Store, from uint64, limit int, want []*pb.Record) {
	t.Helper()
	got, err := s.Records(from, limit)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("Records(%d, %d): %d records, want %d", from, limit, len(got), len(want))
	}
	for i := range got {
		if string(mustMarshal(t, got[i])) != string(mustMarshal(t, want[i])) {
			t.Fatalf("Records(%d, %d)[%d] = %v, want %v", from, limit, i, got[i], want[i])
		}
	}
}

func TestBindRefusesAnotherIdentity(t *testing.T) {
	s := open(t, "")
	if err := s.Bind(identity); err != nil {
		t.Fatal(err)
	}
	for _, other := range []store.Identity{
		{Mediator: "MED::m1::1220aa", SynchronizerID: syncID},
		{Mediator: medID, SynchronizerID: "sync::1220bb"},
	} {
		err := s.Bind(other)
		if !errors.Is(err, store.ErrWrongMediator) || !strings.Contains(err.Error(), medID) || !strings.Contains(err.Error(), other.Mediator) ||
			!strings.Contains(err.Error(), syncID) || !strings.Contains(err.Error(), other.SynchronizerID) {
			t.Fatalf("Bind(%+v) = %v, want ErrWrongMediator naming both identities", other, err)
		}
	}
	if err := s.Bind(identity); err != nil {
		t.Fatalf("Bind of the same identity again: %v", err)
	}
}

func step(counter int64, add []member.Message[store.Verdict], del ...string) member.Step[store.Verdict, store.Change] {
	return member.Step[store.Verdict, store.Change]{Counter: counter, OutboxAdd: add, OutboxDel: del,
		State: store.Change{Meta: mediator.Meta{Seq: uint64(counter), Last: t0 + counter, Observed: true}}}
}

func result(req int64) []member.Message[store.Verdict] {
	return []member.Message[store.Verdict]{verdictOf(mediator.Result{Seq: uint64(req), EventTS: req, Recipients: []string{p1},
		Result: &pb.TransactionResult{RequestIdMicros: req, Verdict: pb.Verdict_VERDICT_APPROVE}})}
}

func TestCommitRefusesCounterRegression(t *testing.T) {
	s := open(t, "")
	for _, c := range []int64{0, 1, 5} { // gaps are allowed
		if err := s.Commit(step(c, nil)); err != nil {
			t.Fatalf("commit %d: %v", c, err)
		}
	}
	for _, c := range []int64{5, 3, 0, -1} {
		err := s.Commit(step(c, result(c)))
		if !errors.Is(err, store.ErrCounterRegression) || !strings.Contains(err.Error(), "the next is 6") {
			t.Fatalf("commit %d after 5: %v, want ErrCounterRegression", c, err)
		}
	}
	st, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if st.Next != 6 || len(st.Outbox) != 0 || st.Core.Meta.Seq != 5 {
		t.Fatalf("a refused commit wrote: %+v", st)
	}
}

func TestOutboxDelete(t *testing.T) {
	s := open(t, "")
	if empty, err := s.Empty(); err != nil || !empty {
		t.Fatalf("new database: empty %t %v", empty, err)
	}
	a, b := result(t0), result(t0+1)
	if err := s.Commit(step(0, slices.Concat(a, b))); err != nil {
		t.Fatal(err)
	}
	if empty, err := s.Empty(); err != nil || empty {
		t.Fatalf("after a commit: empty %t %v", empty, err)
	}
	if err := s.Commit(step(1, nil, a[0].ID, "tr-unknown")); err != nil {
		t.Fatal(err)
	}
	st, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Outbox) != 1 || st.Outbox[0].ID != b[0].ID || string(st.Outbox[0].Msg.Signed) != string(b[0].Msg.Signed) {
		t.Fatalf("outbox after delete: %+v", st.Outbox)
	}
}

func TestEmptyDatabaseLoad(t *testing.T) {
	s := open(t, "")
	st, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(st, store.State{}) {
		t.Fatalf("empty database state %+v", st)
	}
	if _, err := mediator.Restore(newWorld(t).config(), st.Core); err != nil {
		t.Fatalf("restore from an empty database: %v", err)
	}
	if err := s.Bind(identity); err != nil {
		t.Fatal(err)
	}
	if empty, err := s.Empty(); err != nil || empty {
		t.Fatalf("bound database: empty %t %v", empty, err)
	}
}

func TestCommitRefusesUnencodable(t *testing.T) {
	s := open(t, "")
	bad := result(t0)
	bad[0].Msg.Result.Result = nil
	if err := s.Commit(step(0, bad)); err == nil || !strings.Contains(err.Error(), "without a result") {
		t.Fatalf("commit of a verdict without result: %v", err)
	}
	st := step(0, nil)
	st.State.Records = []*pb.Record{nil}
	if err := s.Commit(st); err == nil || !strings.Contains(err.Error(), "audit record 0 is nil") {
		t.Fatalf("commit of a nil record: %v", err)
	}
	if empty, _ := s.Empty(); !empty {
		t.Fatal("a refused commit wrote")
	}
}
