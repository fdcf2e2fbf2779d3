package store_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant/engine"
	"github.com/cometsync/cometsync/participant/store"
	"github.com/cometsync/cometsync/protocol"
)

func contract(n byte) *ledger.Contract {
	c := &ledger.Contract{Template: ledger.TemplateID{Package: "p", Name: "T"},
		Arguments: ledger.Record{"n": ledger.TextValue(string('a' + rune(n)))}, Signatories: ledger.NewPartySet("alice::1220ab")}
	c.ID = ledger.DeriveContractID(ledger.Seed{n}, c)
	return c
}

func TestStoreSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := store.Identity{Participant: "PAR::p1::1220aa", SynchronizerID: "sync::1220bb"}
	if err := s.Bind(id); err != nil {
		t.Fatal(err)
	}
	c1, c2, c3 := contract(1), contract(2), contract(3)
	out := engine.Send{MessageID: "cr-11", RequestID: 11, Signed: []byte("signed response")}
	steps := []store.Step{
		{Counter: 0, Updates: []engine.Update{{Offset: 1, RequestID: 10, Created: []*ledger.Contract{c1, c2}}}},
		{Counter: 1, OutboxAdd: []engine.Send{out},
			PendingAdded: []engine.PendingRequest{{RequestID: 11, Consumed: []ledger.ContractID{c1.ID}, Locked: []ledger.ContractID{c1.ID}, Approved: true}}},
		{Counter: 2, OutboxDel: []string{"cr-12"}}, // an unknown id: nothing to delete
		{Counter: 3, Updates: []engine.Update{{Offset: 2, RequestID: 11, RootHash: protocol.Hash{2}, Created: []*ledger.Contract{c3}, Archived: []ledger.ContractID{c1.ID}}},
			PendingRemoved: []int64{11}, OutboxDel: []string{"cr-11"}},
	}
	for i, st := range steps {
		if err := s.Apply(st); err != nil {
			t.Fatal(err)
		}
		if i == 1 { // mid-workflow: pending request and outbox present
			mid, err := s.Load()
			if err != nil {
				t.Fatal(err)
			}
			if mid.NextCounter != 2 || len(mid.Engine.Pending) != 1 || mid.Engine.Pending[0].Locked[0] != c1.ID || mid.Engine.LastOffset != 1 || string(mid.Outbox["cr-11"].Signed) != "signed response" || len(mid.ACS) != 2 {
				t.Fatalf("mid-workflow state: %+v", mid)
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Bind(store.Identity{Participant: "PAR::p2::1220aa", SynchronizerID: id.SynchronizerID}); !errors.Is(err, store.ErrWrongParticipant) {
		t.Fatalf("binding another participant: %v", err)
	}
	if err := s.Bind(id); err != nil {
		t.Fatal(err)
	}
	st, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	want := ledger.ContractMap{}.Add(c2, c3)
	if st.NextCounter != 4 || len(st.Outbox) != 0 || st.Engine.LastOffset != 2 || len(st.Engine.Pending) != 0 ||
		!bytes.Equal(engine.ACSHash(st.ACS), engine.ACSHash(want)) {
		t.Fatalf("state after reopen: next %d outbox %d offset %d pending %d acs %v", st.NextCounter, len(st.Outbox), st.Engine.LastOffset, len(st.Engine.Pending), st.ACS)
	}
	us, err := s.Updates(2, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(us) != 1 || us[0].Offset != 2 || us[0].RequestID != 11 || len(us[0].Created) != 1 || us[0].Created[0].ID != c3.ID || us[0].Archived[0] != c1.ID {
		t.Fatalf("updates from 2: %+v", us)
	}
	if all, _ := s.Updates(0, 10); len(all) != 2 || all[0].Offset != 1 {
		t.Fatalf("all updates: %+v", all)
	}
	if u, ok, err := s.UpdateByRoot(protocol.Hash{2}); err != nil || !ok || u.Offset != 2 || len(u.Created) != 1 || u.Created[0].ID != c3.ID {
		t.Fatalf("update by root: %+v %v %v", u, ok, err)
	}
	if _, ok, err := s.UpdateByRoot(protocol.Hash{9}); err != nil || ok {
		t.Fatalf("unknown root lookup: %v %v", ok, err)
	}
	if c, ok, err := s.Contract(c1.ID); err != nil || !ok || c.ID != c1.ID {
		t.Fatalf("archived contract lookup: %v %v", ok, err)
	}
	if _, ok, err := s.Contract(contract(9).ID); err != nil || ok {
		t.Fatalf("unknown contract lookup: %v %v", ok, err)
	}
}
