package driver_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cometsync/cometsync/app/api/apitest"
	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
)

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestWaitAdmittedLogs: a member whose key the sequencer refuses (not admitted yet) logs
// at info, once, what it waits for and who must act; no warning per attempt.
func TestWaitAdmittedLogs(t *testing.T) {
	fx := fixture(t)
	srv := serve(t, backend(t, fx, apitest.Config{}), nil)
	key, err := crypto.GenerateSigningKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := driver.DefaultConfig()
	cfg.Endpoints = []string{srv.Addr}
	cfg.Member = fx.Member(alice).ID
	cfg.SigningKey = key
	cfg.ReconnectBackoff = time.Millisecond
	cfg.CallTimeout = 5 * time.Second
	var out lockedBuffer
	logger := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	if err := driver.WaitAdmitted(ctx, cfg, logger); !errors.Is(err, driver.ErrNotAdmitted) {
		t.Fatalf("got %v, want ErrNotAdmitted", err)
	}
	logs := out.String()
	if strings.Contains(logs, "level=WARN") || strings.Contains(logs, "level=ERROR") {
		t.Errorf("warnings while waiting to be admitted:\n%s", logs)
	}
	if n := strings.Count(logs, "ParticipantSynchronizerPermission from the synchronizer owners"); n != 1 {
		t.Errorf("%d lines saying what it waits for, want 1:\n%s", n, logs)
	}
	if n := strings.Count(logs, "\n"); n > 2 {
		t.Errorf("%d lines in 1.5 s, want a slow rate:\n%s", n, logs)
	}
}
