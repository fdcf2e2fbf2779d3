package driver_test

import (
	"testing"
	"time"

	"github.com/cometsync/cometsync/app/api"
	"github.com/cometsync/cometsync/app/api/apitest"
	"github.com/cometsync/cometsync/driver"
)

// TestConnectWaitsOutTheRateLimit: with a burst of one unauthenticated call, the
// server refuses Authenticate right after Challenge with ResourceExhausted; the driver
// waits as the RetryInfo says and answers the same nonce, instead of failing.
func TestConnectWaitsOutTheRateLimit(t *testing.T) {
	fx := fixture(t)
	srv := serve(t, backend(t, fx, apitest.Config{}), func(c *api.Config) {
		c.UnauthenticatedRate, c.UnauthenticatedBurst = 20, 1
	})
	a := client(t, fx, alice, nil, srv.Addr)
	if err := a.Connect(ctxT(t)); err != nil {
		t.Fatalf("connect under the rate limit: %v", err)
	}
}

// TestSendWaitsOutAFullMempool: a submission refused for a full mempool
// (ResourceExhausted with a RetryInfo) is sent again on the same endpoint once the
// mempool has room, without failing over.
func TestSendWaitsOutAFullMempool(t *testing.T) {
	fx := fixture(t)
	b := backend(t, fx, apitest.Config{MaxMempool: 1})
	srv := serve(t, b, nil)
	a := client(t, fx, alice, nil, srv.Addr)
	if _, err := a.Send(ctxT(t), batchTo("first", fx.Member(bob).ID), driver.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 1)
	go func() {
		_, err := a.Send(ctxT(t), batchTo("second", fx.Member(bob).ID), driver.SendOptions{})
		sent <- err
	}()
	select {
	case <-b.MempoolFullRefusals():
	case <-time.After(10 * time.Second):
		t.Fatal("the second submission was not refused for a full mempool")
	}
	if _, err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-sent; err != nil {
		t.Fatalf("second send: %v", err)
	}
	if a.Endpoint() != srv.Addr {
		t.Fatalf("the driver left its endpoint over a full mempool")
	}
}
