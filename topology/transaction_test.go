package topology_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

func TestInvalidMappings(t *testing.T) {
	alice := ns("alice")
	p1 := member(crypto.KindParticipant, "p1", alice)
	med := member(crypto.KindMediator, "m", alice)
	params := testParameters(pb.OnboardingPolicy_ONBOARDING_POLICY_OPEN)
	for _, tc := range []struct {
		name  string
		m     *pb.TopologyMapping
		field string
	}{
		{"empty", &pb.TopologyMapping{}, "mapping"},
		{"nd bad namespace", topology.NewNamespaceDelegation("1220zz", pub("k"), topology.RestrictAll()), "namespace_delegation.namespace"},
		{"nd short key", topology.NewNamespaceDelegation(alice, crypto.SigningPublicKey{Key: []byte{1}}, topology.RestrictAll()), "namespace_delegation.target_key"},
		{"nd no restriction", topology.NewNamespaceDelegation(alice, pub("k"), nil), "namespace_delegation.restriction.kind"},
		{"nd empty specific", topology.NewNamespaceDelegation(alice, pub("k"), topology.RestrictTo()), "namespace_delegation.restriction.mappings"},
		{"nd unknown code", topology.NewNamespaceDelegation(alice, pub("k"), topology.RestrictTo(99)), "namespace_delegation.restriction.mappings[0]"},
		{"idd bad uid", &pb.TopologyMapping{Mapping: &pb.TopologyMapping_IdentifierDelegation{IdentifierDelegation: &pb.IdentifierDelegation{Uid: "nope", TargetKey: pub("k").Key}}}, "identifier_delegation.uid"},
		{"dnd no owners", topology.NewDecentralizedNamespace(alice, 1), "decentralized_namespace_definition.owners"},
		{"dnd threshold", topology.NewDecentralizedNamespace(alice, 3, ns("a"), ns("b")), "decentralized_namespace_definition.threshold"},
		{"dnd duplicate owner", topology.NewDecentralizedNamespace(alice, 1, ns("a"), ns("a")), "decentralized_namespace_definition.owners"},
		{"otk no keys", topology.NewOwnerToKeyMapping(p1, nil), "owner_to_key_mapping.signing_keys"},
		{"otk bad encryption key", topology.NewOwnerToKeyMapping(p1, []crypto.SigningPublicKey{pub("k")}, &pb.EncryptionKey{Key: []byte{1}}), "owner_to_key_mapping.encryption_keys[0]"},
		{"ptp mediator host", topology.NewPartyToParticipant(uid("p", alice), 1, topology.Host(med, confirmation)), "party_to_participant.participants[0].participant"},
		{"ptp duplicate", topology.NewPartyToParticipant(uid("p", alice), 1, topology.Host(p1, confirmation), topology.Host(p1, observation)), "party_to_participant.participants"},
		{"ptp no permission", topology.NewPartyToParticipant(uid("p", alice), 1, topology.Host(p1, 0)), "party_to_participant.participants[0].permission"},
		{"ptp only observers", topology.NewPartyToParticipant(uid("p", alice), 1, topology.Host(p1, observation)), "party_to_participant.threshold"},
		{"params missing", topology.NewSynchronizerParameters(testSync, nil), "synchronizer_parameters_state.parameters"},
		{"params policy", topology.NewSynchronizerParameters(testSync, &pb.SynchronizerParameters{DecisionTimeoutMicros: 1, MaxRequestSize: 1}), "synchronizer_parameters_state.parameters.onboarding_policy"},
		{"params negative delay", topology.NewSynchronizerParameters(testSync, &pb.SynchronizerParameters{TopologyChangeDelayMicros: -1, DecisionTimeoutMicros: 1, MaxRequestSize: 1, OnboardingPolicy: params.OnboardingPolicy}), "synchronizer_parameters_state.parameters.topology_change_delay_micros"},
		{"mss observer active", topology.NewMediatorState(testSync, 0, 1, []crypto.Member{med}, med), "mediator_synchronizer_state.observers"},
		{"mss participant", topology.NewMediatorState(testSync, 0, 1, []crypto.Member{p1}), "mediator_synchronizer_state.active[0]"},
		{"sss threshold", topology.NewSequencerState(testSync, 0, member(crypto.KindSequencer, "s", alice)), "sequencer_synchronizer_state.threshold"},
		{"psp bad sync", topology.NewParticipantPermission(crypto.UID{}, p1, submission), "participant_synchronizer_permission.synchronizer_id"},
		{"vp empty id", topology.NewVettedPackages(p1, ""), "vetted_packages.package_ids[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := topology.NewTransaction(replace, 1, tc.m)
			var me *topology.MappingError
			if !errors.As(err, &me) || !errors.Is(err, topology.ErrInvalidMapping) || me.Field != tc.field {
				t.Fatalf("got %v, want a MappingError on %s", err, tc.field)
			}
		})
	}
	for _, tc := range []struct {
		op     pb.Operation
		serial uint64
		field  string
	}{{0, 1, "operation"}, {replace, 0, "serial"}} {
		if _, err := topology.NewTransaction(tc.op, tc.serial, topology.NewRootCertificate(pub("a"))); !strings.Contains(err.Error(), tc.field) {
			t.Errorf("op %v serial %d: %v", tc.op, tc.serial, err)
		}
	}
}

func TestCanonicalForm(t *testing.T) {
	a := mustTx(t, replace, 1, topology.NewVettedPackages(member(crypto.KindParticipant, "p", ns("a")), "x", "b", "m"))
	b := mustTx(t, replace, 1, topology.NewVettedPackages(member(crypto.KindParticipant, "p", ns("a")), "m", "x", "b"))
	if !bytes.Equal(a.Hash(), b.Hash()) || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("set order changes the canonical form")
	}
	c := mustTx(t, replace, 2, topology.NewVettedPackages(member(crypto.KindParticipant, "p", ns("a")), "x", "b", "m"))
	if bytes.Equal(a.Hash(), c.Hash()) {
		t.Fatal("serial is not hashed")
	}
	want := crypto.HashBytes(crypto.PurposeTopologyTransaction, a.Bytes())
	if !bytes.Equal(a.Hash(), want) {
		t.Fatal("hash is not purpose 120 over the canonical bytes")
	}
	// The signed form round-trips.
	stx := topology.Sign(a, true, key("a"), key("b"))
	back, err := topology.DecodeSignedTransaction(stx.Marshal())
	if err != nil || !bytes.Equal(back.Marshal(), stx.Marshal()) || !back.Proposal {
		t.Fatalf("round trip: %v", err)
	}
	if err := key("a").Public().VerifyHash(crypto.HashBytes(crypto.PurposeTopologySignature, a.Hash()), sigOf(stx, ns("a"))); err != nil {
		t.Fatalf("signature is not purpose 11 over the hash: %v", err)
	}
}

func sigOf(stx *topology.SignedTransaction, fp crypto.Fingerprint) []byte {
	for _, s := range stx.Signatures {
		if s.Key == fp {
			return s.Sig
		}
	}
	return nil
}

func TestDecodeErrors(t *testing.T) {
	tx := mustTx(t, replace, 1, topology.NewRootCertificate(pub("a")))
	good := topology.Sign(tx, false, key("a")).Proto()
	dup := topology.Sign(tx, false, key("a")).Proto()
	dup.Signatures = append(dup.Signatures, dup.Signatures[0])
	short := topology.Sign(tx, false, key("a")).Proto()
	short.Signatures[0].Signature = short.Signatures[0].Signature[:10]
	none := topology.Sign(tx, false).Proto()
	badTx := topology.Sign(tx, false, key("a")).Proto()
	badTx.Transaction = []byte{0xff}
	for name, tc := range map[string]struct {
		msg  *pb.SignedTopologyTransaction
		want error
	}{
		"duplicate signer": {dup, topology.ErrInvalidSignature},
		"short signature":  {short, topology.ErrInvalidSignature},
		"no signature":     {none, topology.ErrInvalidSignature},
		"garbage tx":       {badTx, topology.ErrMalformed},
		"good":             {good, nil},
	} {
		b, _ := tc.msg.Marshal()
		if _, err := topology.DecodeSignedTransaction(b); !errors.Is(err, tc.want) && (err != nil || tc.want != nil) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
	if _, err := topology.DecodeSignedTransaction([]byte{0x0a, 0xff}); !errors.Is(err, topology.ErrMalformed) {
		t.Errorf("truncated: %v", err)
	}
}
