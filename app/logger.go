package app

import (
	"io"
	"log/slog"

	cmtlog "github.com/cometbft/cometbft/libs/log"
)

// cmtLogger routes CometBFT's logs into slog. CometBFT is chatty at info level, so its
// info messages are logged at debug unless the node runs at debug.
type cmtLogger struct {
	l *slog.Logger
}

var _ cmtlog.Logger = cmtLogger{}

func (c cmtLogger) Debug(msg string, kv ...any) { c.l.Debug(msg, kv...) }
func (c cmtLogger) Info(msg string, kv ...any)  { c.l.Debug(msg, kv...) }
func (c cmtLogger) Warn(msg string, kv ...any)  { c.l.Warn(msg, kv...) }
func (c cmtLogger) Error(msg string, kv ...any) { c.l.Error(msg, kv...) }
func (c cmtLogger) With(kv ...any) cmtlog.Logger {
	return cmtLogger{l: c.l.With(kv...)}
}

// NewLogger returns a text slog logger at the given level ("debug", "info", ...).
func NewLogger(w io.Writer, level string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv}))
}

// DiscardLogger drops everything.
func DiscardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
