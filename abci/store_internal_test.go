package abci

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/seqapi"
)

// TestPendingBlockFinishedAtOpen stops "between" recording a large block and applying
// it, and checks that opening the application applies every write (sets and deletes)
// and removes the record; and that applyWrites takes the large path by itself.
func TestPendingBlockFinishedAtOpen(t *testing.T) {
	dir := t.TempDir()
	db, err := OpenDB(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := applyWrites(db, []core.Write{{Key: []byte("Zgone"), Value: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	var ws []core.Write
	for i := range 200_000 { // more than one badger transaction holds
		ws = append(ws, core.Write{Key: fmt.Appendf(nil, "Zk%07d", i), Value: fmt.Appendf(nil, "v%d", i)})
	}
	ws = append(ws, core.Write{Key: []byte("Zgone"), Delete: true})
	if err := recordPending(db, ws); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = OpenDB(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := NewApp(db, nil); err != nil {
		t.Fatal(err)
	}
	checkApplied(t, db, ws)

	// applyWrites of a set too large for one transaction goes the same way.
	for i := range ws[:len(ws)-1] {
		ws[i].Value = append(ws[i].Value, '!')
	}
	if err := applyWrites(db, ws); err != nil {
		t.Fatal(err)
	}
	checkApplied(t, db, ws)
}

func checkApplied(t *testing.T, db *badger.DB, ws []core.Write) {
	t.Helper()
	err := db.View(func(txn *badger.Txn) error {
		if _, err := txn.Get(keyPendingBlock); !errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("pending record still there: %v", err)
		}
		for _, w := range ws {
			item, err := txn.Get(w.Key)
			if w.Delete {
				if !errors.Is(err, badger.ErrKeyNotFound) {
					return fmt.Errorf("%s not deleted: %v", w.Key, err)
				}
				continue
			}
			if err != nil {
				return fmt.Errorf("%s: %w", w.Key, err)
			}
			v, err := item.ValueCopy(nil)
			if err != nil || !bytes.Equal(v, w.Value) {
				return fmt.Errorf("%s = %q (%v), want %q", w.Key, v, err, w.Value)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOtherStoreLayoutRefused checks that a database written with the previous key-space
// layout (no layout record) is refused at open with a message naming what to do, and
// that an empty database and one InitChain wrote open.
func TestOtherStoreLayoutRefused(t *testing.T) {
	dir := t.TempDir()
	db, err := OpenDB(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := NewApp(db, nil); err != nil {
		t.Fatalf("empty database: %v", err)
	}
	g := &core.Genesis{SynchronizerID: "sync::1220" + string(bytes.Repeat([]byte{'0'}, 64)), ProtocolVersion: seqapi.ProtocolVersion, Parameters: core.DefaultParameters()}
	// What InitChain of this version writes, then the same without the layout record.
	if err := applyWrites(db, append(core.InitGenesis(g), layoutWrite())); err != nil {
		t.Fatal(err)
	}
	if _, err := NewApp(db, nil); err != nil {
		t.Fatalf("database of this layout: %v", err)
	}
	if err := applyWrites(db, []core.Write{{Key: keyLayout, Delete: true}}); err != nil {
		t.Fatal(err)
	}
	_, err = NewApp(db, nil)
	if err == nil || !strings.Contains(err.Error(), "store layout 1") || !strings.Contains(err.Error(), "data/app") {
		t.Fatalf("layout-1 database opened: %v", err)
	}
}
