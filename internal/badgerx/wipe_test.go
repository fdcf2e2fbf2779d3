package badgerx

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNotInUseAndWipeRefuseAnOpenDatabase: while a database is open (badger's directory
// lock held), NotInUse and Wipe refuse with ErrInUse naming the member and its command,
// and Wipe leaves the database in place; once it is closed both go ahead.
func TestNotInUseAndWipeRefuseAnOpenDatabase(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, "db")
	if err := NotInUse(dir, "participant", "cometsync participant start"); err != nil {
		t.Fatalf("absent database: %v", err)
	}
	db, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "stop the participant first (cometsync participant start holds it)"
	for name, check := range map[string]func() error{
		"NotInUse": func() error { return NotInUse(dir, "participant", "cometsync participant start") },
		"Wipe":     func() error { return Wipe(dir, home, "participant", "cometsync participant start") },
	} {
		err := check()
		if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s on an open database: %v", name, err)
		}
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the refused Wipe removed the database: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := NotInUse(dir, "participant", "cometsync participant start"); err != nil {
		t.Fatalf("closed database: %v", err)
	}
	if err := Wipe(dir, home, "participant", "cometsync participant start"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after Wipe: %v", err)
	}
	if err := Wipe(home, home, "participant", "x"); err == nil || !strings.Contains(err.Error(), "is the home directory") {
		t.Fatalf("Wipe of the home: %v", err)
	}
}
