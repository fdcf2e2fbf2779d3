package badgerx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrInUse is returned when a command that rewrites a database finds it open in another
// process (the member is running).
var ErrInUse = errors.New("database is in use")

// Empty reports whether the database directory dir is absent or empty.
func Empty(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	return len(entries) == 0, err
}

// Wipe removes the database in dir. It refuses while a process holds the database
// (badger's directory lock), since a running member would go on writing into the rebuilt
// one; role and holder name the member and its command for the error ("participant",
// "cometsync participant start"). It refuses to remove home itself. A damaged database
// (see Check) is removed like any other: it is not opened first.
func Wipe(dir, home, role, holder string) error {
	if filepath.Clean(dir) == filepath.Clean(home) {
		return fmt.Errorf("database %s is the home directory: refusing to remove it", dir)
	}
	if err := NotInUse(dir, role, holder); err != nil {
		return err
	}
	return os.RemoveAll(dir)
}

// NotInUse returns an error wrapping ErrInUse when another process holds the database
// in dir (badger's directory lock), naming the member and its command as Wipe does; nil
// when the database is free, absent or empty. Commands that write a member's database
// outside its daemon call it first.
func NotInUse(dir, role, holder string) error {
	if empty, err := Empty(dir); err != nil || empty {
		return err
	}
	inUse, err := held(dir)
	if err != nil {
		return fmt.Errorf("check database %s: %w", dir, err)
	}
	if inUse {
		return fmt.Errorf("%w: %s is held by another process; stop the %s first (%s holds it)", ErrInUse, dir, role, holder)
	}
	return nil
}

// Locked reports whether err is badger's refusal to open a directory another process
// holds.
func Locked(err error) bool {
	return err != nil && strings.Contains(err.Error(), "Cannot acquire directory lock")
}
