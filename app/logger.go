package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync/atomic"

	cmtlog "github.com/cometbft/cometbft/libs/log"
)

// cmtLogger routes CometBFT's logs into slog. CometBFT is chatty at info level, so its
// info messages are logged at debug unless the node runs at debug.
//
// It keeps the key-values of With itself instead of in l, so that a line carries each
// key once: the modules of nested With calls are joined (module=cometbft/p2p) and for
// any other key the innermost value wins (a call's own key-values over With's).
//
// While the node stops (stopping is set), CometBFT's errors that only say a listener or
// transport was closed under it are logged at debug: the error value is net.ErrClosed,
// or the message is the p2p switch's accept routine ending on a closed transport.
type cmtLogger struct {
	l        *slog.Logger
	module   string
	kv       []any
	stopping *atomic.Bool
	// consensusFailure, when set, is told of CometBFT's "CONSENSUS FAILURE!!!" with the
	// panic it recovered.
	consensusFailure func(reason any)
}

var _ cmtlog.Logger = cmtLogger{}

func newCmtLogger(l *slog.Logger, stopping *atomic.Bool) cmtLogger {
	if stopping == nil {
		stopping = new(atomic.Bool)
	}
	return cmtLogger{l: l, module: "cometbft", stopping: stopping}
}

func (c cmtLogger) Debug(msg string, kv ...any) { c.log(slog.LevelDebug, msg, kv) }
func (c cmtLogger) Info(msg string, kv ...any)  { c.log(slog.LevelDebug, msg, kv) }
func (c cmtLogger) Warn(msg string, kv ...any)  { c.log(slog.LevelWarn, msg, kv) }
func (c cmtLogger) Error(msg string, kv ...any) {
	level := slog.LevelError
	if c.stopping.Load() && isShutdownNoise(msg, kv) {
		level = slog.LevelDebug
	}
	c.log(level, msg, kv)
	if msg == consensusFailureMsg && c.consensusFailure != nil {
		c.consensusFailure(kvValue(kv, "err"))
	}
}

// consensusFailureMsg is what CometBFT's consensus routine logs when it recovers a panic
// and stops for good, leaving the rest of the node up.
const consensusFailureMsg = "CONSENSUS FAILURE!!!"

// onConsensusFailure returns c telling f of CometBFT's consensus failures.
func (c cmtLogger) onConsensusFailure(f func(reason any)) cmtLogger {
	c.consensusFailure = f
	return c
}

// kvValue returns the value of key in the pairs kv, or nil.
func kvValue(kv []any, key string) any {
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok && k == key {
			return kv[i+1]
		}
	}
	return nil
}

func (c cmtLogger) With(kv ...any) cmtlog.Logger {
	out := c
	out.kv = append(append([]any(nil), c.kv...), kv...)
	return out
}

func (c cmtLogger) log(level slog.Level, msg string, kv []any) {
	ctx := context.Background()
	if !c.l.Enabled(ctx, level) {
		return
	}
	c.l.Log(ctx, level, msg, mergeKV(c.module, c.kv, kv)...)
}

// mergeKV returns module, then the pairs of outer and inner, each key once (at its first
// position, with its last value); a string "module" among them is joined to module.
func mergeKV(module string, outer, inner []any) []any {
	out := make([]any, 0, 2+len(outer)+len(inner))
	out = append(out, "module", module)
	at := map[string]int{"module": 0}
	for _, kv := range [][]any{outer, inner} {
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok || i+1 >= len(kv) {
				out = append(out, kv[i:min(i+2, len(kv))]...)
				continue
			}
			if v, ok := kv[i+1].(string); ok && k == "module" {
				out[1] = out[1].(string) + "/" + v
				continue
			}
			if j, seen := at[k]; seen {
				out[j+1] = kv[i+1]
				continue
			}
			at[k] = len(out)
			out = append(out, k, kv[i+1])
		}
	}
	return out
}

// transportClosedMsg is what CometBFT's p2p switch logs (at error) when its accept
// routine ends because the transport was closed: on every stop.
const transportClosedMsg = "Stopped accept routine, as transport is closed"

// isShutdownNoise reports whether a CometBFT error line only says that a listener or the
// p2p transport was closed.
func isShutdownNoise(msg string, kv []any) bool {
	if msg == transportClosedMsg {
		return true
	}
	for i := 1; i < len(kv); i += 2 {
		if err, ok := kv[i].(error); ok && errors.Is(err, net.ErrClosed) {
			return true
		}
	}
	return false
}

// Log formats of log_format.
const (
	LogFormatText = "text"
	LogFormatJSON = "json"
)

// CheckLogFormat returns a *ConfigError naming log_format for a format other than text
// and json.
func CheckLogFormat(format string) error {
	switch format {
	case LogFormatText, LogFormatJSON:
		return nil
	}
	return &ConfigError{"log_format", `"` + format + `": want text or json`}
}

// NewLogger returns a slog logger at the given level ("debug", "info", ...) writing
// format: "json" (slog's JSON handler) or "text" (the default, also for "").
func NewLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	o := &slog.HandlerOptions{Level: lv}
	if format == LogFormatJSON {
		return slog.New(slog.NewJSONHandler(w, o))
	}
	return slog.New(slog.NewTextHandler(w, o))
}

// DiscardLogger drops everything.
func DiscardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
