package topology_test

import (
	"errors"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

// TestMemberTrafficLimit: the owners of the synchronizer's namespace grant extra
// traffic; a member's own namespace cannot; bad amounts name their field.
func TestMemberTrafficLimit(t *testing.T) {
	f := newFixture(t, testSync)
	f.root("sync-root")
	f.root("alice")
	par := member(crypto.KindParticipant, "p1", ns("alice")).String()
	f.fails(topology.ErrUnauthorized, replace, 1, topology.NewMemberTrafficLimit(testSync, par, 1000, nil), "alice")
	f.ok(replace, 1, topology.NewMemberTrafficLimit(testSync, par, 1000, nil), "sync-root")
	zero := int64(0)
	f.ok(replace, 2, topology.NewMemberTrafficLimit(testSync, par, 5000, &zero), "sync-root")
	got, ok := f.st.Head().MemberTrafficLimit(par)
	if !ok || got.ExtraTrafficLimit != 5000 || got.BaseRate == nil || got.BaseRate.BytesPerSecond != 0 {
		t.Fatalf("limit %+v %v", got, ok)
	}
	if _, ok := f.st.Head().MemberTrafficLimit("PAR::other::" + string(ns("alice"))); ok {
		t.Fatal("a limit for a member that has none")
	}
	neg := int64(-1)
	for _, c := range []struct {
		m     *pb.TopologyMapping
		field string
	}{
		{topology.NewMemberTrafficLimit(testSync, par, -1, nil), "member_traffic_limit.extra_traffic_limit"},
		{topology.NewMemberTrafficLimit(testSync, par, topology.MaxTrafficBytes+1, nil), "member_traffic_limit.extra_traffic_limit"},
		{topology.NewMemberTrafficLimit(testSync, par, 1, &neg), "member_traffic_limit.base_rate.bytes_per_second"},
		{topology.NewMemberTrafficLimit(testSync, "alice", 1, nil), "member_traffic_limit.member"},
	} {
		_, err := topology.NewTransaction(replace, 1, c.m)
		var me *topology.MappingError
		if !errors.Is(err, topology.ErrInvalidMapping) || !errors.As(err, &me) || me.Field != c.field {
			t.Errorf("%s: %v", c.field, err)
		}
	}
	f.ok(remove, 3, topology.NewMemberTrafficLimit(testSync, par, 5000, &zero), "sync-root")
	if _, ok := f.st.Head().MemberTrafficLimit(par); ok {
		t.Fatal("limit still in force after REMOVE")
	}
}

func TestTrafficControlParameters(t *testing.T) {
	for _, c := range []struct {
		tc    *pb.TrafficControlParameters
		field string
	}{
		{&pb.TrafficControlParameters{BaseRateBytesPerSecond: -1, BurstBytes: 1}, "synchronizer_parameters_state.parameters.traffic_control.base_rate_bytes_per_second"},
		{&pb.TrafficControlParameters{BaseRateBytesPerSecond: 1, BurstBytes: 0}, "synchronizer_parameters_state.parameters.traffic_control.burst_bytes"},
		{&pb.TrafficControlParameters{BaseRateBytesPerSecond: 1, BurstBytes: 1, RecipientCostBytes: -1}, "synchronizer_parameters_state.parameters.traffic_control.recipient_cost_bytes"},
		{&pb.TrafficControlParameters{BaseRateBytesPerSecond: 0, BurstBytes: 1}, ""},
	} {
		p := testParameters(pb.OnboardingPolicy_ONBOARDING_POLICY_OPEN)
		p.TrafficControl = c.tc
		_, err := topology.NewTransaction(replace, 1, topology.NewSynchronizerParameters(testSync, p))
		var me *topology.MappingError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("valid %+v: %v", c.tc, err)
		case c.field != "" && (!errors.As(err, &me) || me.Field != c.field):
			t.Errorf("%s: %v", c.field, err)
		}
	}
}
