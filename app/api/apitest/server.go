package apitest

import (
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"

	"github.com/cometsync/cometsync/app/api"
)

// Served is an api.Server running on a loopback port.
type Served struct {
	Addr   string
	API    *api.Server
	GRPC   *grpc.Server
	Listen net.Listener
}

// StartServer serves an api.Server over backend on 127.0.0.1 with a port chosen at run
// time. The server stops at the end of the test; Stop stops it earlier.
func StartServer(tb testing.TB, backend api.Backend, cfg api.Config, logger *slog.Logger) *Served {
	tb.Helper()
	srv, err := api.NewServer(backend, cfg, logger)
	if err != nil {
		tb.Fatalf("api server: %v", err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	gs := grpc.NewServer(srv.ServerOptions()...)
	srv.Register(gs)
	go func() { _ = gs.Serve(lis) }()
	s := &Served{Addr: lis.Addr().String(), API: srv, GRPC: gs, Listen: lis}
	tb.Cleanup(s.Stop)
	return s
}

// Stop closes the API's subscriptions and stops the gRPC server at once; clients see
// their connections fail. Stop is idempotent.
func (s *Served) Stop() {
	s.API.Close()
	s.GRPC.Stop()
}

// TestLogger routes slog output to tb.Log until the test's cleanup, and drops it after
// (goroutines may still log while they wind down).
func TestLogger(tb testing.TB) *slog.Logger {
	w := &tbWriter{tb: tb}
	tb.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tbWriter struct {
	tb   testing.TB
	mu   sync.Mutex
	done bool
}

func (w *tbWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.tb.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}
