package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
)

// jsonLines decodes every line of buf and fails on one that is not a JSON object or that
// repeats a key.
func jsonLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(line))
		if _, err := dec.Token(); err != nil {
			t.Fatalf("not JSON: %q: %v", line, err)
		}
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			if seen[k.(string)] {
				t.Errorf("key %q twice in %s", k, line)
			}
			seen[k.(string)] = true
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("%q: %v", line, err)
			}
		}
		m := map[string]any{}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestNewLoggerFormat(t *testing.T) {
	var buf bytes.Buffer
	NewLogger(&buf, "info", LogFormatJSON).Info("hello", "k", 1)
	if m := jsonLines(t, &buf); len(m) != 1 || m[0]["msg"] != "hello" || m[0]["level"] != "INFO" {
		t.Fatalf("json: %s", buf.String())
	}
	for _, f := range []string{LogFormatText, ""} {
		buf.Reset()
		NewLogger(&buf, "info", f).Info("hello", "k", 1)
		if !strings.Contains(buf.String(), "level=INFO msg=hello k=1") {
			t.Fatalf("format %q: %s", f, buf.String())
		}
	}
	for f, ok := range map[string]bool{"text": true, "json": true, "": false, "JSON": false, "logfmt": false} {
		if err := CheckLogFormat(f); (err == nil) != ok {
			t.Errorf("CheckLogFormat(%q) = %v", f, err)
		}
	}
	c := DefaultConfig()
	c.LogFormat = "xml"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "log_format") {
		t.Fatalf("Validate: %v", err)
	}
}

// TestCmtLoggerKeysOnce sends lines shaped like CometBFT's (nested With calls with module,
// a call repeating a With key) through the adapter and checks each key appears once.
func TestCmtLoggerKeysOnce(t *testing.T) {
	var buf bytes.Buffer
	base := NewLogger(&buf, "debug", LogFormatJSON).With("node", 0)
	l := newCmtLogger(base, nil)
	p2p := l.With("module", "p2p")
	peer := p2p.With("peer", "a@1.2.3.4:26656")
	peer.Info("Starting Peer service", "impl", "Peer{...}")
	peer.With("module", "pex").Error("dial failed", "peer", "b@5.6.7.8:26656", "err", errors.New("refused"))
	l.With("module", "consensus", "height", 3).Debug("enter", "height", 4, "round", 0)
	l.Warn("odd", "dangling")

	lines := jsonLines(t, &buf)
	if len(lines) != 4 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	want := []struct{ module, peer string }{
		{"cometbft/p2p", "a@1.2.3.4:26656"},
		{"cometbft/p2p/pex", "b@5.6.7.8:26656"}, // the call's value wins over With's
		{"cometbft/consensus", ""},
		{"cometbft", ""},
	}
	for i, w := range want {
		if lines[i]["module"] != w.module || (w.peer != "" && lines[i]["peer"] != w.peer) || lines[i]["node"] != float64(0) {
			t.Errorf("line %d: %v, want module %s peer %q", i, lines[i], w.module, w.peer)
		}
	}
	if lines[2]["height"] != float64(4) {
		t.Errorf("height: %v", lines[2])
	}

	// The text handler the same way.
	buf.Reset()
	newCmtLogger(NewLogger(&buf, "debug", LogFormatText), nil).With("module", "p2p").With("module", "switch").Info("x", "module", "y")
	if got := buf.String(); strings.Count(got, "module=") != 1 || !strings.Contains(got, "module=cometbft/p2p/switch/y") {
		t.Fatalf("text: %s", got)
	}
}

// TestCmtLoggerShutdownErrors: while the node stops, closed-listener and closed-transport
// errors are debug; other errors, and the same ones before the stop, stay errors.
func TestCmtLoggerShutdownErrors(t *testing.T) {
	closed := &net.OpError{Op: "accept", Net: "tcp", Err: net.ErrClosed}
	var buf bytes.Buffer
	var stopping atomic.Bool
	l := newCmtLogger(NewLogger(&buf, "debug", LogFormatJSON), &stopping).With("module", "p2p")
	emit := func() {
		l.Error("Error serving server", "err", closed)
		l.Error(transportClosedMsg, "numPeers", 0)
		l.Error("Error serving server", "err", fmt.Errorf("wrapped: %w", closed))
		l.Error("Accept on transport errored", "err", errors.New("too many open files"))
		l.Error("Error serving server", "err", "use of closed network connection") // a string, not net.ErrClosed
	}
	emit()
	stopping.Store(true)
	emit()
	var levels []string
	for _, m := range jsonLines(t, &buf) {
		levels = append(levels, m["level"].(string))
	}
	want := "ERROR ERROR ERROR ERROR ERROR DEBUG DEBUG DEBUG ERROR ERROR"
	if got := strings.Join(levels, " "); got != want {
		t.Fatalf("levels %s, want %s\n%s", got, want, buf.String())
	}
}
