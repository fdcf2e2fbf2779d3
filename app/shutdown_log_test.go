package app_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cometsync/cometsync/internal/chaintest"
	"github.com/cometsync/cometsync/testnet"
)

// syncBuffer is a bytes.Buffer safe for the node's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestCleanStopLogsNoError stops a running node (with CometBFT's RPC server and p2p
// transport listening) and checks that nothing after the stop began is an ERROR line.
func TestCleanStopLogsNoError(t *testing.T) {
	var out syncBuffer
	logger := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	net := chaintest.Start(t, testnet.Options{Validators: 1, RPC: true, Logger: logger})
	deadline := time.Now().Add(30 * time.Second)
	for net.Node(0).CometBFT().BlockStore().Height() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("no blocks")
		}
		time.Sleep(50 * time.Millisecond)
	}
	logger.Info("test: stopping")
	net.Stop(0)
	time.Sleep(300 * time.Millisecond) // CometBFT's serving goroutines log after Stop returns
	all := out.String()
	after := all[strings.Index(all, "msg=\"test: stopping\""):]
	for _, line := range strings.Split(after, "\n") {
		if strings.Contains(line, "level=ERROR") {
			t.Errorf("error during a clean stop: %s", line)
		}
	}
	if !strings.Contains(after, "Stopped accept routine") && !strings.Contains(after, "level=DEBUG") {
		t.Logf("no shutdown lines captured:\n%s", after)
	}
}
