package api

import healthpb "google.golang.org/grpc/health/grpc_health_v1"

// ReadinessService is the gRPC health service name that reports readiness: SERVING once
// the node has caught up with the chain (block or state sync done), NOT_SERVING before.
// The empty service name reports liveness (SERVING while the server runs).
const ReadinessService = "cometsync.readiness"

// SetReady sets the readiness status.
func (s *Server) SetReady(ready bool) {
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if ready {
		st = healthpb.HealthCheckResponse_SERVING
	}
	s.health.SetServingStatus(ReadinessService, st)
}
