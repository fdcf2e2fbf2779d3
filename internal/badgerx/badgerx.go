// Package badgerx opens the badger databases of cometsync's nodes with their logs going
// to slog, and refuses a damaged one (ErrCorrupt) instead of opening it as if healthy.
package badgerx

import (
	"errors"
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

// Sizes that keep a database's disk use bounded under a steady load of writes and
// deletions (a pruned node's). Badger frees a deleted key's space only when a compaction
// merges its tombstone with the table holding the value, and it compacts level 0 only
// once NumLevelZeroTables memtables have been flushed there. With badger's defaults (64
// MiB memtables, 5 level-0 tables) a database below about 320 MiB is never compacted at
// all, so deleting (pruning) frees nothing; with these it is compacted after every 24
// MiB of writes, and Flatten (which merges every level into one but leaves a lone level
// 0 alone) has levels to merge. MemTableSize also bounds a transaction (to 15 %, 1.2
// MiB: bigger blocks are applied in parts, see abci's applyWrites) and must stay above
// the value threshold (1 MiB) by that share. Values of 1 MiB and more go to the value
// log, whose files are ValueLogFileSize so that value-log GC can drop a whole old one.
// These are runtime settings: a database written with other sizes opens unchanged.
const (
	MemTableSize       = 8 << 20
	NumLevelZeroTables = 3
	ValueLogFileSize   = 64 << 20
)

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
		WithChecksumVerificationMode(options.OnBlockRead).WithVerifyValueChecksum(true).
		WithMemTableSize(MemTableSize).WithNumLevelZeroTables(NumLevelZeroTables).
		WithValueLogFileSize(ValueLogFileSize))
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

// ValueLogGC rewrites the value-log files of db whose entries are mostly (half or
// more) deleted or overwritten, one file after another until none is left. badger's
// "nothing to collect" answers are no error.
func ValueLogGC(db *badger.DB) error {
	for {
		err := db.RunValueLogGC(0.5)
		if errors.Is(err, badger.ErrNoRewrite) || errors.Is(err, badger.ErrRejected) || errors.Is(err, badger.ErrGCInMemoryMode) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("value-log GC: %w", err)
		}
	}
}
