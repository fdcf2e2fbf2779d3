package topology_test

import (
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

const (
	replace = pb.Operation_OPERATION_REPLACE
	remove  = pb.Operation_OPERATION_REMOVE

	submission   = pb.ParticipantPermission_PARTICIPANT_PERMISSION_SUBMISSION
	confirmation = pb.ParticipantPermission_PARTICIPANT_PERMISSION_CONFIRMATION
	observation  = pb.ParticipantPermission_PARTICIPANT_PERMISSION_OBSERVATION
)

// key derives a deterministic signing key from a name.
func key(name string) crypto.SigningPrivateKey {
	seed := sha256.Sum256([]byte("topology-test/" + name))
	k, err := crypto.SigningKeyFromSeed(seed[:])
	if err != nil {
		panic(err)
	}
	return k
}

func pub(name string) crypto.SigningPublicKey { return key(name).Public() }
func ns(name string) crypto.Fingerprint       { return key(name).Fingerprint() }

func uid(name string, namespace crypto.Fingerprint) crypto.UID {
	u, err := crypto.NewUID(name, namespace)
	if err != nil {
		panic(err)
	}
	return u
}

func member(kind crypto.MemberKind, name string, namespace crypto.Fingerprint) crypto.Member {
	m, err := crypto.NewMember(kind, name, namespace)
	if err != nil {
		panic(err)
	}
	return m
}

// fixture drives a State with a clock that advances by one per transaction and no
// topology change delay unless set.
type fixture struct {
	t     testing.TB
	st    *topology.State
	now   int64
	delay int64
}

func newFixture(t testing.TB, sync crypto.UID) *fixture {
	return &fixture{t: t, st: topology.NewState(sync), now: 1000}
}

func mustTx(t testing.TB, op pb.Operation, serial uint64, m *pb.TopologyMapping) *topology.Transaction {
	t.Helper()
	tx, err := topology.NewTransaction(op, serial, m)
	if err != nil {
		t.Fatalf("NewTransaction: %v", err)
	}
	return tx
}

// submit applies m signed by keys at the next time.
func (f *fixture) submit(op pb.Operation, serial uint64, m *pb.TopologyMapping, proposal bool, signers ...string) (topology.Outcome, error) {
	f.t.Helper()
	tx := mustTx(f.t, op, serial, m)
	var ks []crypto.SigningPrivateKey
	for _, s := range signers {
		ks = append(ks, key(s))
	}
	f.now++
	return f.st.Apply(topology.Sign(tx, proposal, ks...), f.now, f.now+f.delay)
}

// ok applies and expects the transaction to be applied.
func (f *fixture) ok(op pb.Operation, serial uint64, m *pb.TopologyMapping, signers ...string) topology.Outcome {
	f.t.Helper()
	out, err := f.submit(op, serial, m, false, signers...)
	if err != nil {
		f.t.Fatalf("apply %v: %v", topology.CodeOf(m), err)
	}
	if out.Kind != topology.OutcomeApplied {
		f.t.Fatalf("apply %v: outcome %v, want applied", topology.CodeOf(m), out.Kind)
	}
	return out
}

// fails applies and expects an error wrapping want.
func (f *fixture) fails(want error, op pb.Operation, serial uint64, m *pb.TopologyMapping, signers ...string) error {
	f.t.Helper()
	before := f.st.Hash()
	_, err := f.submit(op, serial, m, false, signers...)
	if !errors.Is(err, want) {
		f.t.Fatalf("apply %v: got %v, want %v", topology.CodeOf(m), err, want)
	}
	if string(before) != string(f.st.Hash()) {
		f.t.Fatalf("a failed apply changed the state")
	}
	return err
}

// root publishes the root certificate of the namespace of key name.
func (f *fixture) root(name string) {
	f.t.Helper()
	f.ok(replace, 1, topology.NewRootCertificate(pub(name)), name)
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
