// Package badgerx opens the badger databases of cometsync's nodes with their logs going
// to slog.
package badgerx

import (
	"fmt"
	"log/slog"

	"github.com/dgraph-io/badger/v4"
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
func OpenWith(dir string, logger *slog.Logger, tune func(badger.Options) badger.Options) (*badger.DB, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts := tune(badger.DefaultOptions(dir).WithLogger(Logger{logger}).WithNumVersionsToKeep(1))
	if dir == "" {
		opts = opts.WithInMemory(true)
	}
	db, err := badger.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", dir, err)
	}
	return db, nil
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
