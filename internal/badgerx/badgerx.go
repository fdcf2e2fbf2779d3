// Package badgerx opens the badger databases of cometsync's nodes with their logs going
// to slog, and refuses a damaged one (ErrCorrupt) instead of opening it as if healthy.
package badgerx

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// Open opens (creating if needed) a badger database in dir, or an in-memory one when dir
// is empty. A nil logger discards badger's messages; badger's info lines are logged at
// debug level.
func Open(dir string, logger *slog.Logger) (*badger.DB, error) {
	return OpenWith(dir, logger, func(o badger.Options) badger.Options { return o })
}

// OpenSingleWriter is Open for a database that only one goroutine at a time writes to
// (the application state, written at Commit): badger's conflict detection between
// concurrent read-write transactions is then pure overhead, and it is switched off.
func OpenSingleWriter(dir string, logger *slog.Logger) (*badger.DB, error) {
	return OpenWith(dir, logger, func(o badger.Options) badger.Options { return o.WithDetectConflicts(false) })
}

// OpenWith is Open with tune applied to the options.
//
// Integrity: a database on disk is first checked whole (Check: the MANIFEST against the
// table files, and every table's structure and block checksums), and a damaged one is
// refused with an error matching ErrCorrupt, naming dir and what is wrong; a panic inside
// badger.Open is recovered into such an error too. While open, badger verifies each block
// it reads from disk against its checksum (options.OnBlockRead: one CRC over a block on a
// block-cache miss) and each value read from the value log (VerifyValueChecksum).
func OpenWith(dir string, logger *slog.Logger, tune func(badger.Options) badger.Options) (db *badger.DB, err error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts := tune(badger.DefaultOptions(dir).WithLogger(Logger{logger}).WithNumVersionsToKeep(1).
		WithChecksumVerificationMode(options.OnBlockRead).WithVerifyValueChecksum(true))
	if dir == "" {
		opts = opts.WithInMemory(true)
	} else if inUse, _ := held(dir); !inUse {
		// (A database another process holds is left to badger's lock error: its files
		// change under the check.)
		if err := Check(dir); err != nil {
			return nil, err
		}
	}
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, &CorruptError{Dir: dir, Reason: "badger failed opening it: " + firstLine(fmt.Sprint(r))}
		}
	}()
	db, err = badger.Open(opts)
	if err != nil {
		if IsCorrupt(err) || isManifestError(err) {
			return nil, &CorruptError{Dir: dir, Reason: err.Error()}
		}
		return nil, fmt.Errorf("open database %s: %w", dir, err)
	}
	return db, nil
}

// isManifestError reports badger's refusals of a damaged MANIFEST or table set that Check
// did not already catch (Check runs first, so these are races with another writer).
func isManifestError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "MANIFEST") || strings.Contains(msg, "Manifest") || strings.Contains(msg, "file does not exist for table")
}

// Logger adapts slog to badger.Logger.
type Logger struct{ L *slog.Logger }

// Errorf implements badger.Logger.
func (b Logger) Errorf(f string, a ...any) { b.L.Error(fmt.Sprintf(f, a...), "component", "badger") }

// Warningf implements badger.Logger.
func (b Logger) Warningf(f string, a ...any) { b.L.Warn(fmt.Sprintf(f, a...), "component", "badger") }

// Infof implements badger.Logger.
func (b Logger) Infof(f string, a ...any) { b.L.Debug(fmt.Sprintf(f, a...), "component", "badger") }

// Debugf implements badger.Logger.
func (b Logger) Debugf(f string, a ...any) { b.L.Debug(fmt.Sprintf(f, a...), "component", "badger") }
