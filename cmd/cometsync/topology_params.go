package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/app"
	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

// paramFlags override fields of the synchronizer parameters; fields whose flag is not set
// keep their current value (read from the sequencer when one is given).
type paramFlags struct {
	topologyChangeDelay time.Duration
	decisionTimeout     time.Duration
	ledgerTimeTolerance time.Duration
	reactionTimeout     time.Duration
	reconciliation      time.Duration
	maxRequestSize      int64
	onboardingPolicy    string
	traffic             bool
	trafficRate         int64
	trafficBurst        int64
	trafficRecipient    int64
}

func (p *paramFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.DurationVar(&p.topologyChangeDelay, "topology-change-delay", 0, "synchronizer-parameters: topology change delay")
	fl.DurationVar(&p.decisionTimeout, "decision-timeout", 0, "synchronizer-parameters: mediator decision timeout")
	fl.DurationVar(&p.ledgerTimeTolerance, "ledger-time-tolerance", 0, "synchronizer-parameters: ledger time tolerance")
	fl.DurationVar(&p.reactionTimeout, "mediator-reaction-timeout", 0, "synchronizer-parameters: how long after the decision time a verdict may be sequenced")
	fl.DurationVar(&p.reconciliation, "reconciliation-interval", 0, "synchronizer-parameters: how often participants exchange ACS commitments")
	fl.Int64Var(&p.maxRequestSize, "max-request-size", 0, "synchronizer-parameters: max request size in bytes")
	fl.StringVar(&p.onboardingPolicy, "onboarding-policy", "", "synchronizer-parameters: open or permissioned")
	fl.BoolVar(&p.traffic, "traffic-control", false, "synchronizer-parameters: meter the members' traffic (false removes traffic control)")
	fl.Int64Var(&p.trafficRate, "traffic-base-rate", 0, "synchronizer-parameters: traffic control base rate, bytes per second (0: every member in maintenance)")
	fl.Int64Var(&p.trafficBurst, "traffic-burst", 0, "synchronizer-parameters: traffic control burst (most base traffic a member holds), bytes")
	fl.Int64Var(&p.trafficRecipient, "traffic-recipient-cost", 0, "synchronizer-parameters: traffic charged per recipient member of a submission, bytes")
}

// apply returns the current parameters of st (empty without a state) with the flags
// that were set applied.
func (p *paramFlags) apply(cmd *cobra.Command, st *topology.State) (*pb.SynchronizerParameters, error) {
	out := &pb.SynchronizerParameters{}
	if st != nil {
		if cur, ok := st.Head().Parameters(); ok {
			out = cur
		}
	}
	changed := func(name string) bool { return cmd != nil && cmd.Flags().Changed(name) }
	if changed("topology-change-delay") {
		out.TopologyChangeDelayMicros = p.topologyChangeDelay.Microseconds()
	}
	if changed("decision-timeout") {
		out.DecisionTimeoutMicros = p.decisionTimeout.Microseconds()
	}
	if changed("ledger-time-tolerance") {
		out.LedgerTimeToleranceMicros = p.ledgerTimeTolerance.Microseconds()
	}
	if changed("mediator-reaction-timeout") {
		out.MediatorReactionTimeoutMicros = p.reactionTimeout.Microseconds()
	}
	if changed("reconciliation-interval") {
		out.ReconciliationIntervalMicros = p.reconciliation.Microseconds()
	}
	if changed("max-request-size") {
		out.MaxRequestSize = p.maxRequestSize
	}
	if changed("onboarding-policy") {
		policy, err := app.ParseOnboardingPolicy(p.onboardingPolicy)
		if err != nil {
			return nil, err
		}
		out.OnboardingPolicy = policy
	}
	if changed("traffic-control") && !p.traffic {
		out.TrafficControl = nil
	}
	if p.traffic || changed("traffic-base-rate") || changed("traffic-burst") || changed("traffic-recipient-cost") {
		tc := out.TrafficControl
		if tc == nil {
			tc = &pb.TrafficControlParameters{}
		}
		if changed("traffic-base-rate") {
			tc.BaseRateBytesPerSecond = p.trafficRate
		}
		if changed("traffic-burst") {
			tc.BurstBytes = p.trafficBurst
		}
		if changed("traffic-recipient-cost") {
			tc.RecipientCostBytes = p.trafficRecipient
		}
		out.TrafficControl = tc
	}
	return out, nil
}
