package mediator_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/mediator"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

func mustApply(t *testing.T, st *topology.State, at int64, m *topopb.TopologyMapping, keys ...crypto.SigningPrivateKey) {
	t.Helper()
	tx, err := topology.NewTransaction(topopb.Operation_OPERATION_REPLACE, 1, m)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := st.Apply(topology.Sign(tx, false, keys...), at, at); err != nil || out.Kind != topology.OutcomeApplied {
		t.Fatalf("apply %v: %v %v", topology.CodeOf(m), out.Kind, err)
	}
}

// TestOnChainTopology: the seed-004 party hosted on three participants with threshold 2
// (one of them observing), as the mediator reads it from the on-chain state, and response
// signatures checked with the participants' on-chain keys at the request's time.
func TestOnChainTopology(t *testing.T) {
	syncKey, _ := crypto.GenerateSigningKey(nil)
	uid, _ := crypto.NewUID("sync", syncKey.Fingerprint())
	st := topology.NewState(uid)
	partyKey, _ := crypto.GenerateSigningKey(nil)
	party, _ := crypto.NewUID("alice", partyKey.Fingerprint())
	mustApply(t, st, 1, topology.NewRootCertificate(partyKey.Public()), partyKey)
	var hosts []*topopb.HostingParticipant
	var keys []crypto.SigningPrivateKey
	for i, perm := range []topopb.ParticipantPermission{
		topopb.ParticipantPermission_PARTICIPANT_PERMISSION_CONFIRMATION,
		topopb.ParticipantPermission_PARTICIPANT_PERMISSION_SUBMISSION,
		topopb.ParticipantPermission_PARTICIPANT_PERMISSION_OBSERVATION,
	} {
		k, _ := crypto.GenerateSigningKey(nil)
		p, _ := crypto.NewMember(crypto.KindParticipant, string(rune('a'+i)), k.Fingerprint())
		mustApply(t, st, 2, topology.NewRootCertificate(k.Public()), k)
		mustApply(t, st, 2, topology.NewOwnerToKeyMapping(p, []crypto.SigningPublicKey{k.Public()}), k)
		hosts = append(hosts, topology.Host(p, perm))
		keys = append(keys, k)
	}
	mustApply(t, st, 10, topology.NewPartyToParticipant(party, 2, hosts...), append([]crypto.SigningPrivateKey{partyKey}, keys...)...)

	o := mediator.OnChain{State: st}
	if h := o.Hosting(party.String(), 5); h.Threshold != 0 || len(h.Confirmers) != 0 {
		t.Fatalf("before the hosting took effect: %+v", h)
	}
	h := o.Hosting(party.String(), 11)
	wantConfirmers := []string{hosts[0].Participant, hosts[1].Participant}
	slices.Sort(wantConfirmers)
	if h.Threshold != 2 || !slices.Equal(h.Confirmers, wantConfirmers) || !slices.Equal(h.Observers, []string{hosts[2].Participant}) {
		t.Fatalf("hosting %+v", h)
	}
	digest := crypto.NewHasher(crypto.PurposeMerkleInnerNode).AddString("response").Sum()
	sig := keys[0].SignHash(digest)
	if err := o.Verify(hosts[0].Participant, string(keys[0].Fingerprint()), 11, digest, sig); err != nil {
		t.Fatalf("valid response signature: %v", err)
	}
	if err := o.Verify(hosts[1].Participant, string(keys[0].Fingerprint()), 11, digest, sig); !errors.Is(err, crypto.ErrBadSignature) {
		t.Fatalf("another participant's key: %v", err)
	}
	if err := o.Verify(hosts[0].Participant, string(keys[0].Fingerprint()), 1, digest, sig); !errors.Is(err, crypto.ErrBadSignature) {
		t.Fatalf("before the key took effect: %v", err)
	}
}
