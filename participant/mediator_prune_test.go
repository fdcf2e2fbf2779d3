package participant_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	mediatord "github.com/cometsync/cometsync/mediator/daemon"
	"github.com/cometsync/cometsync/mediator/store"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
)

// TestMediatorPruneThenResumeAndRecover: a mediator with a database on disk (decision
// timeout 2 s) confirms transactions until the first one is finished (forgotten at its
// decision time); stopped, its audit log is pruned up to now: the finished requests'
// records go, those of requests still held stay; restarted over the pruned database it
// confirms the next transaction, and a mediator rebuilt from the chain into an empty
// database (recovery) confirms one too.
func TestMediatorPruneThenResumeAndRecover(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newReplWorld(t, ctx, func(p *topopb.SynchronizerParameters) {
		p.DecisionTimeoutMicros = (2 * time.Second).Microseconds()
		p.MediatorReactionTimeoutMicros = time.Second.Microseconds()
	})
	w.med.Stop()
	dir := filepath.Join(t.TempDir(), "mediator-db")
	start := func() (*mediatord.Node, *store.Store) {
		st, err := store.Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		n, err := mediatord.StartNode(ctx, mediatord.NodeConfig{Driver: driverConfig(w.net, w.net.Member("mediator")), EncryptionKey: w.medEnc, Store: st})
		if err != nil {
			t.Fatal(err)
		}
		return n, st
	}
	med, st := start()
	if err := w.accept(w.propose("1")); err != nil {
		t.Fatal(err)
	}
	first, err := st.Load()
	if err != nil || len(first.Core.Requests) == 0 {
		t.Fatalf("after the first transaction: %d requests held, %v", len(first.Core.Requests), err)
	}
	ids := func(s store.State) []int64 {
		var out []int64
		for _, r := range s.Core.Requests {
			out = append(out, r.ID)
		}
		return out
	}
	firstIDs := ids(first)
	for i := 2; ; i++ { // each transaction moves the mediator's time: the first ones finish
		if err := w.accept(w.propose(string(rune('0' + i%10)))); err != nil {
			t.Fatal(err)
		}
		now, err := st.Load()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(ids(now), firstIDs[0]) {
			break
		}
	}
	med.Stop()
	before, err := st.Records(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	held, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := st.Prune(time.Now().UnixMicro())
	if err != nil {
		t.Fatal(err)
	}
	after, err := st.Records(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Removed == 0 || uint64(len(before)-len(after)) != rep.Removed {
		t.Fatalf("prune: %v; %d records before, %d after", rep, len(before), len(after))
	}
	for _, r := range after {
		if !slices.Contains(ids(held), r.RequestIdMicros) && r.EventMicros < rep.Before {
			t.Fatalf("a record of the finished request %d survived the pruning", r.RequestIdMicros)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	med, st = start()
	if med.ResumedFrom() == 0 {
		t.Fatal("the mediator did not resume from its pruned database")
	}
	if err := w.accept(w.propose("20")); err != nil {
		t.Fatalf("after the pruning: %v", err)
	}
	med.Stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(t.TempDir(), "mediator-db-recovered")
	med, st = start()
	defer func() { med.Stop(); st.Close() }()
	if err := w.accept(w.propose("21")); err != nil {
		t.Fatalf("after a recovery by replay: %v", err)
	}
}
