package app_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/cometsync/cometsync/app/api"
	"github.com/cometsync/cometsync/internal/chaintest"
	"github.com/cometsync/cometsync/testnet"
)

// TestHealthAndReadiness checks liveness (the empty service) and that readiness becomes
// SERVING once the node runs consensus.
func TestHealthAndReadiness(t *testing.T) {
	net := chaintest.Start(t, testnet.Options{Validators: 1})
	conn, err := grpc.NewClient(net.APIAddress(0), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	h := healthpb.NewHealthClient(conn)
	res, err := h.Check(t.Context(), &healthpb.HealthCheckRequest{})
	if err != nil || res.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("liveness: %v %v", res, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	w, err := h.Watch(ctx, &healthpb.HealthCheckRequest{Service: api.ReadinessService})
	if err != nil {
		t.Fatal(err)
	}
	for {
		st, err := w.Recv()
		if err != nil {
			t.Fatalf("readiness never became SERVING: %v", err)
		}
		if st.Status == healthpb.HealthCheckResponse_SERVING {
			return
		}
	}
}
