package participant

import (
	"slices"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/mediator"
	"github.com/cometsync/cometsync/participant/engine"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/protocol"
	"github.com/cometsync/cometsync/topology"
)

// hosting answers protocol.Hosting from a topology snapshot: every participant hosting
// a party, whatever its permission, receives the views the party is an informee of.
type hosting struct{ s *topology.Snapshot }

func (h hosting) Participants(party string) []string {
	ptp, ok := h.s.PartyToParticipant(party)
	if !ok {
		return nil
	}
	var out []string
	for _, p := range ptp.Participants {
		out = append(out, p.Participant)
	}
	slices.Sort(out)
	return out
}

// onChain answers the engine's questions from the topology state the node follows on
// its stream: the answer for a time comes from the snapshot as of that time, which
// later transactions do not change, so a replay answers the same. Calls are serialized
// with the state's updates by the node's lock.
type onChain struct{ st *topology.State }

var _ engine.Topology = onChain{}

func (o onChain) Hosting(at int64) protocol.Hosting { return hosting{o.st.SnapshotAt(at)} }

func (o onChain) Permission(at int64, party, participant string) (topopb.ParticipantPermission, bool) {
	ptp, ok := o.st.SnapshotAt(at).PartyToParticipant(party)
	if !ok {
		return 0, false
	}
	for _, p := range ptp.Participants {
		if p.Participant == participant {
			return p.Permission, true
		}
	}
	return 0, false
}

func (o onChain) ConfirmingHosts(at int64, party string) ([]string, int) {
	h := mediator.OnChain{State: o.st}.Hosting(party, at)
	return h.Confirmers, h.Threshold
}

func (o onChain) HostedParties(at int64, participant string) []topology.HostedParty {
	return o.st.SnapshotAt(at).HostedParties(participant)
}

func (o onChain) MediatorGroup(at int64, group uint32) ([]string, int, bool) {
	mg, ok := o.st.SnapshotAt(at).MediatorGroup(group)
	if !ok {
		return nil, 0, false
	}
	return mg.Active, int(mg.Threshold), true
}

func (o onChain) Verify(member, key string, at int64, digest, signature []byte) error {
	return mediator.OnChain{State: o.st}.Verify(member, key, at, digest, signature)
}

func (o onChain) EncryptionKeys(at int64) protocol.EncryptionKeys {
	return topology.EncryptionKeysOf{Snapshot: o.st.SnapshotAt(at)}
}

func (o onChain) EncryptionKey(at int64, member string, fp crypto.Fingerprint) (crypto.EncryptionPublicKey, bool) {
	for _, k := range o.st.SnapshotAt(at).EncryptionKeys(member) {
		if pub := (crypto.EncryptionPublicKey{Scheme: crypto.EncryptionScheme(k.Scheme), Key: k.Key}); pub.Fingerprint() == fp {
			return pub, true
		}
	}
	return crypto.EncryptionPublicKey{}, false
}

func (o onChain) Parameters(at int64) topology.ProtocolParameters {
	return o.st.SnapshotAt(at).ProtocolParameters()
}
