package driver

import (
	"context"
	"testing"
	"time"

	"github.com/cometsync/cometsync/app/api"
	"github.com/cometsync/cometsync/app/api/apitest"
)

// TestTokenRenewedBeforeExpiry checks that a token past its renewal point is replaced
// before the next call, without the server having to refuse it first.
func TestTokenRenewedBeforeExpiry(t *testing.T) {
	fx, err := apitest.NewFixture("PAR::alice")
	if err != nil {
		t.Fatal(err)
	}
	b, err := apitest.NewBackend(fx.Genesis, apitest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := apitest.StartServer(t, b, api.TestConfig(), apitest.TestLogger(t))
	cfg := DefaultConfig()
	cfg.Endpoints = []string{srv.Addr}
	cfg.Member = fx.Member("PAR::alice").ID
	cfg.SigningKey = fx.Member("PAR::alice").Key
	c, err := New(cfg, apitest.TestLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	e := c.active
	e.mu.Lock()
	first, renewAt := e.token, e.renewAt
	e.mu.Unlock()
	// A one-hour token is renewed five minutes (TokenRenewMargin) before it expires.
	if left := time.Until(renewAt); left < 50*time.Minute || left > 56*time.Minute {
		t.Fatalf("renewal in %v, want about 55m", left)
	}
	e.mu.Lock()
	e.renewAt = time.Now().Add(-time.Second)
	e.mu.Unlock()
	if err := c.Acknowledge(ctx, 1); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.token == first || e.token == "" {
		t.Fatal("token was not renewed")
	}
}
