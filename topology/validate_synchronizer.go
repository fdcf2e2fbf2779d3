package topology

import (
	"bytes"
	"crypto/ed25519"
	"fmt"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
)

func validateParametersState(m *pb.SynchronizerParametersState) error {
	const field = "synchronizer_parameters_state"
	if _, err := validateUID(field+".synchronizer_id", m.SynchronizerId); err != nil {
		return err
	}
	p := m.Parameters
	switch {
	case p == nil:
		return invalid(field+".parameters", "missing")
	case p.TopologyChangeDelayMicros < 0:
		return invalid(field+".parameters.topology_change_delay_micros", "must not be negative")
	case p.DecisionTimeoutMicros <= 0:
		return invalid(field+".parameters.decision_timeout_micros", "must be positive")
	case p.LedgerTimeToleranceMicros < 0:
		return invalid(field+".parameters.ledger_time_tolerance_micros", "must not be negative")
	case p.MediatorReactionTimeoutMicros < 0:
		return invalid(field+".parameters.mediator_reaction_timeout_micros", "must not be negative")
	case p.ReconciliationIntervalMicros < 0:
		return invalid(field+".parameters.reconciliation_interval_micros", "must not be negative")
	case p.MaxRequestSize <= 0:
		return invalid(field+".parameters.max_request_size", "must be positive")
	case p.OnboardingPolicy != pb.OnboardingPolicy_ONBOARDING_POLICY_OPEN &&
		p.OnboardingPolicy != pb.OnboardingPolicy_ONBOARDING_POLICY_PERMISSIONED:
		return invalid(field+".parameters.onboarding_policy", "unknown policy %d", int32(p.OnboardingPolicy))
	}
	if tc := p.TrafficControl; tc != nil {
		f := field + ".parameters.traffic_control"
		switch {
		case tc.BaseRateBytesPerSecond < 0 || tc.BaseRateBytesPerSecond > MaxTrafficBytes:
			return invalid(f+".base_rate_bytes_per_second", "%d must be between 0 and %d", tc.BaseRateBytesPerSecond, int64(MaxTrafficBytes))
		case tc.BurstBytes <= 0 || tc.BurstBytes > MaxTrafficBytes:
			return invalid(f+".burst_bytes", "%d must be between 1 and %d", tc.BurstBytes, int64(MaxTrafficBytes))
		case tc.RecipientCostBytes < 0 || tc.RecipientCostBytes > MaxTrafficBytes:
			return invalid(f+".recipient_cost_bytes", "%d must be between 0 and %d", tc.RecipientCostBytes, int64(MaxTrafficBytes))
		}
	}
	return nil
}

// MaxTrafficBytes bounds the traffic control amounts (rates, burst, costs, extra traffic
// limits): 2^40 bytes, so that the sequencer's integer arithmetic (base traffic in
// millionths of a byte) cannot overflow.
const MaxTrafficBytes = 1 << 40

func validateMemberTrafficLimit(m *pb.MemberTrafficLimit) error {
	const field = "member_traffic_limit"
	if _, err := validateUID(field+".synchronizer_id", m.SynchronizerId); err != nil {
		return err
	}
	if _, err := validateMember(field+".member", m.Member, ""); err != nil {
		return err
	}
	if m.ExtraTrafficLimit < 0 || m.ExtraTrafficLimit > MaxTrafficBytes {
		return invalid(field+".extra_traffic_limit", "%d must be between 0 and %d", m.ExtraTrafficLimit, int64(MaxTrafficBytes))
	}
	if r := m.BaseRate; r != nil && (r.BytesPerSecond < 0 || r.BytesPerSecond > MaxTrafficBytes) {
		return invalid(field+".base_rate.bytes_per_second", "%d must be between 0 and %d", r.BytesPerSecond, int64(MaxTrafficBytes))
	}
	return nil
}

func validateMembers(field string, ms []string, kind crypto.MemberKind, allowEmpty bool) error {
	if err := validateListLength(field, len(ms), allowEmpty); err != nil {
		return err
	}
	for i, m := range ms {
		if _, err := validateMember(fieldAt(field, i), m, kind); err != nil {
			return err
		}
	}
	return sortDistinctStrings(field, ms)
}

func validateMediatorState(m *pb.MediatorSynchronizerState) error {
	const field = "mediator_synchronizer_state"
	if _, err := validateUID(field+".synchronizer_id", m.SynchronizerId); err != nil {
		return err
	}
	if err := validateMembers(field+".active", m.Active, crypto.KindMediator, false); err != nil {
		return err
	}
	if err := validateMembers(field+".observers", m.Observers, crypto.KindMediator, true); err != nil {
		return err
	}
	for _, o := range m.Observers {
		if containsSorted(m.Active, o) {
			return invalid(field+".observers", "%s is also active", o)
		}
	}
	return validateThreshold(field+".threshold", m.Threshold, len(m.Active))
}

func validateSequencerState(m *pb.SequencerSynchronizerState) error {
	const field = "sequencer_synchronizer_state"
	if _, err := validateUID(field+".synchronizer_id", m.SynchronizerId); err != nil {
		return err
	}
	if err := validateMembers(field+".active", m.Active, crypto.KindSequencer, false); err != nil {
		return err
	}
	return validateThreshold(field+".threshold", m.Threshold, len(m.Active))
}

func validateParticipantPermission(m *pb.ParticipantSynchronizerPermission) error {
	const field = "participant_synchronizer_permission"
	if _, err := validateUID(field+".synchronizer_id", m.SynchronizerId); err != nil {
		return err
	}
	if _, err := validateMember(field+".participant", m.Participant, crypto.KindParticipant); err != nil {
		return err
	}
	return validatePermission(field+".permission", m.Permission)
}

// synchronizerOf returns the synchronizer id of a synchronizer-level mapping ("" for
// the others).
func synchronizerOf(m *pb.TopologyMapping) string {
	switch x := m.GetMapping().(type) {
	case *pb.TopologyMapping_SynchronizerParametersState:
		return x.SynchronizerParametersState.SynchronizerId
	case *pb.TopologyMapping_MediatorSynchronizerState:
		return x.MediatorSynchronizerState.SynchronizerId
	case *pb.TopologyMapping_SequencerSynchronizerState:
		return x.SequencerSynchronizerState.SynchronizerId
	case *pb.TopologyMapping_ParticipantSynchronizerPermission:
		return x.ParticipantSynchronizerPermission.SynchronizerId
	case *pb.TopologyMapping_ValidatorSetState:
		return x.ValidatorSetState.SynchronizerId
	case *pb.TopologyMapping_MemberTrafficLimit:
		return x.MemberTrafficLimit.SynchronizerId
	}
	return ""
}

// MaxValidators bounds a ValidatorSetState.
const MaxValidators = 200

func validateValidatorSet(m *pb.ValidatorSetState) error {
	const field = "validator_set_state"
	if _, err := validateUID(field+".synchronizer_id", m.SynchronizerId); err != nil {
		return err
	}
	if len(m.Validators) == 0 || len(m.Validators) > MaxValidators {
		return invalid(field+".validators", "want 1 to %d validators, got %d", MaxValidators, len(m.Validators))
	}
	for i, v := range m.Validators {
		if len(v.PubKeyEd25519) != ed25519.PublicKeySize {
			return invalid(fmt.Sprintf("%s.validators[%d].pub_key_ed25519", field, i), "want %d bytes, got %d", ed25519.PublicKeySize, len(v.PubKeyEd25519))
		}
		if v.Power <= 0 || v.Power > 1<<40 {
			return invalid(fmt.Sprintf("%s.validators[%d].power", field, i), "want 1 to 2^40, got %d", v.Power)
		}
		if i > 0 && bytes.Compare(m.Validators[i-1].PubKeyEd25519, v.PubKeyEd25519) >= 0 {
			return invalid(field+".validators", "must be sorted by public key and distinct")
		}
	}
	return nil
}
