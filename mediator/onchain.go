package mediator

import (
	"fmt"
	"slices"

	"github.com/cometsync/cometsync/crypto"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/protocol"
	"github.com/cometsync/cometsync/topology"
)

// OnChain answers Topology and Verifier from a topology state that the mediator keeps by
// replaying the topology transactions the sequencer broadcasts (and the state it
// downloaded when it joined). Answers for a time t come from the state's snapshot as of
// t, which later transactions do not change, so replaying the same events gives the same
// answers. The state is read, never modified, here; the caller serializes updates with
// the core's Step calls (the loop is single-threaded).
type OnChain struct {
	State *topology.State
}

var (
	_ Topology          = OnChain{}
	_ protocol.Verifier = OnChain{}
)

// Hosting implements Topology: confirmers are the participants with Submission or
// Confirmation permission, observers those with Observation.
func (o OnChain) Hosting(party string, at int64) PartyHosting {
	ptp, ok := o.State.SnapshotAt(at).PartyToParticipant(party)
	if !ok {
		return PartyHosting{}
	}
	h := PartyHosting{Threshold: int(ptp.Threshold)}
	for _, p := range ptp.Participants {
		switch p.Permission {
		case topopb.ParticipantPermission_PARTICIPANT_PERMISSION_SUBMISSION:
			h.Confirmers = append(h.Confirmers, p.Participant)
			h.Submitters = append(h.Submitters, p.Participant)
		case topopb.ParticipantPermission_PARTICIPANT_PERMISSION_CONFIRMATION:
			h.Confirmers = append(h.Confirmers, p.Participant)
		case topopb.ParticipantPermission_PARTICIPANT_PERMISSION_OBSERVATION:
			h.Observers = append(h.Observers, p.Participant)
		}
	}
	slices.Sort(h.Confirmers)
	slices.Sort(h.Observers)
	slices.Sort(h.Submitters)
	return h
}

// Verify implements Verifier with the signing keys of the member's OwnerToKeyMapping in
// force at at. (Whether the member may send at all is the sequencer's concern.)
func (o OnChain) Verify(member, key string, at int64, digest, signature []byte) error {
	otk, ok := o.State.SnapshotAt(at).OwnerToKeys(member)
	if ok {
		for _, k := range otk.SigningKeys {
			if crypto.FingerprintOf(k) == crypto.Fingerprint(key) {
				return crypto.SigningPublicKey{Key: k}.VerifyHash(digest, signature)
			}
		}
	}
	return fmt.Errorf("%w: key %s is not a signing key of %s at %d", crypto.ErrBadSignature, key, member, at)
}
