package api_test

import (
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/app/api"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

func TestHandshake(t *testing.T) {
	e := newEnv(t, nil)
	resp, err := e.connect.Handshake(ctxT(t), &pb.HandshakeRequest{ClientProtocolVersions: []string{"cometsync/0", seqapi.ProtocolVersion}})
	if err != nil || resp.ServerProtocolVersion != seqapi.ProtocolVersion {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	_, err = e.connect.Handshake(ctxT(t), &pb.HandshakeRequest{ClientProtocolVersions: []string{"cometsync/0"}})
	wantCode(t, err, codes.FailedPrecondition, "protocol version mismatch")
}

func TestSynchronizerIdAndParameters(t *testing.T) {
	e := newEnv(t, nil)
	id, err := e.connect.GetSynchronizerId(ctxT(t), &pb.GetSynchronizerIdRequest{})
	if err != nil || id.SynchronizerId != e.fx.Genesis.SynchronizerID || id.SequencerId != e.backend.SequencerID() {
		t.Fatalf("synchronizer id: %v %v", id, err)
	}
	p, err := e.connect.GetSynchronizerParameters(ctxT(t), &pb.GetSynchronizerParametersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := core.DefaultParameters()
	if p.Parameters.MaxRequestSize != want.MaxRequestSize || p.Parameters.MaxSequencingTimeHorizonMicros != want.MaxSequencingHorizonMicros || p.Parameters.ProtocolVersion != seqapi.ProtocolVersion {
		t.Fatalf("parameters %+v, want %+v", p.Parameters, want)
	}
}

func TestHealthServing(t *testing.T) {
	e := newEnv(t, nil)
	resp, err := healthpb.NewHealthClient(e.conn).Check(ctxT(t), &healthpb.HealthCheckRequest{Service: "cometsync.sequencer.v1.SequencerService"})
	if err != nil || resp.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v %v", resp, err)
	}
}

func TestConfigValidateNamesField(t *testing.T) {
	for _, tc := range []struct {
		field  string
		mutate func(*api.Config)
	}{
		{"token_ttl", func(c *api.Config) { c.TokenTTL = 0 }},
		{"challenge_ttl", func(c *api.Config) { c.ChallengeTTL = -1 }},
		{"max_pending_challenges", func(c *api.Config) { c.MaxPendingChallenges = 0 }},
		{"max_challenges_per_member", func(c *api.Config) { c.MaxChallengesPerMember = 0 }},
		{"max_challenges_per_caller", func(c *api.Config) { c.MaxChallengesPerCaller = -1 }},
		{"unauthenticated_rate", func(c *api.Config) { c.UnauthenticatedRate = 0 }},
		{"unauthenticated_burst", func(c *api.Config) { c.UnauthenticatedBurst = 0 }},
		{"max_callers", func(c *api.Config) { c.MaxCallers = 0 }},
		{"max_subscribers", func(c *api.Config) { c.MaxSubscribers = 0 }},
		{"max_subscribers_per_member", func(c *api.Config) { c.MaxSubscribersPerMember = 0 }},
		{"max_subscribers_per_member", func(c *api.Config) { c.MaxSubscribersPerMember = c.MaxSubscribers }},
		{"subscribe_batch", func(c *api.Config) { c.SubscribeBatch = 0 }},
	} {
		c := api.DefaultConfig()
		tc.mutate(&c)
		err := c.Validate()
		var ce *api.ConfigError
		if !errors.Is(err, api.ErrInvalidConfig) || !errors.As(err, &ce) || ce.Field != tc.field || !contains(err.Error(), tc.field) {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
	if err := api.DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := api.NewServer(nil, api.DefaultConfig(), nil); !errors.Is(err, api.ErrInvalidConfig) {
		t.Fatalf("nil backend: %v", err)
	}
}
