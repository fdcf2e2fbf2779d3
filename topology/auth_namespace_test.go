package topology_test

import (
	"errors"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

var testSync = uid("sync", ns("sync-root"))

func TestRootCertificate(t *testing.T) {
	f := newFixture(t, testSync)
	// Signed by another (known or unknown) key instead of the namespace key.
	f.fails(topology.ErrInvalidSignature, replace, 1, topology.NewRootCertificate(pub("alice")), "bob")
	f.root("bob")
	err := f.fails(topology.ErrUnauthorized, replace, 1, topology.NewRootCertificate(pub("alice")), "bob")
	var ue *topology.UnauthorizedError
	if !errors.As(err, &ue) || len(ue.Keys) != 1 || ue.Keys[0] != ns("alice") {
		t.Fatalf("missing %+v, want the alice key", ue)
	}
	f.root("alice")
	// Serial not increasing, and a remove of something absent.
	f.fails(topology.ErrSerialMismatch, replace, 1, topology.NewRootCertificate(pub("alice")), "alice")
	f.fails(topology.ErrSerialMismatch, replace, 3, topology.NewRootCertificate(pub("alice")), "alice")
	f.fails(topology.ErrNoSuchMapping, remove, 1, topology.NewRootCertificate(pub("carol")), "carol")
	f.ok(replace, 2, topology.NewNamespaceDelegation(ns("alice"), pub("alice"), topology.RestrictAll()), "alice")
	f.ok(remove, 3, topology.NewRootCertificate(pub("alice")), "alice")
	f.fails(topology.ErrNoSuchMapping, remove, 4, topology.NewRootCertificate(pub("alice")), "alice")
}

func TestSerialErrorNamesExpected(t *testing.T) {
	f := newFixture(t, testSync)
	f.root("alice")
	err := f.fails(topology.ErrSerialMismatch, replace, 5, topology.NewRootCertificate(pub("alice")), "alice")
	var se *topology.SerialError
	if !errors.As(err, &se) || se.Expected != 2 || se.Got != 5 {
		t.Fatalf("got %v", err)
	}
}

func TestNamespaceDelegationChain(t *testing.T) {
	f := newFixture(t, testSync)
	alice := ns("alice")
	p1 := member(crypto.KindParticipant, "p1", alice)
	otk := func(k string) *pb.TopologyMapping {
		return topology.NewOwnerToKeyMapping(p1, []crypto.SigningPublicKey{pub(k)})
	}
	// No root certificate: nothing in the namespace can be authorized.
	f.fails(topology.ErrInvalidSignature, replace, 1, topology.NewNamespaceDelegation(alice, pub("k1"), topology.RestrictAll()), "alice")
	f.root("alice")
	f.root("mallory")
	// A known key of another namespace does not authorize.
	f.fails(topology.ErrUnauthorized, replace, 1, topology.NewNamespaceDelegation(alice, pub("k1"), topology.RestrictAll()), "mallory")
	f.ok(replace, 1, topology.NewNamespaceDelegation(alice, pub("k1"), topology.RestrictAll()), "alice")
	// k1 may delegate further; k2 may not.
	f.ok(replace, 1, topology.NewNamespaceDelegation(alice, pub("k2"), topology.RestrictAllButNamespaceDelegations()), "k1")
	f.fails(topology.ErrUnauthorized, replace, 1, topology.NewNamespaceDelegation(alice, pub("k3"), topology.RestrictAll()), "k2")
	f.ok(replace, 1, topology.NewNamespaceDelegation(alice, pub("k4"), topology.RestrictTo(pb.MappingCode_MAPPING_CODE_VETTED_PACKAGES)), "k1")
	// k4 is restricted to vetted packages.
	f.fails(topology.ErrUnauthorized, replace, 1, otk("pk"), "k4", "pk")
	f.ok(replace, 1, topology.NewVettedPackages(p1, "pkg-a"), "k4")
	f.ok(replace, 1, otk("pk"), "k2", "pk")
	// Revoking k1 revokes k2, which hangs on it.
	f.ok(remove, 2, topology.NewNamespaceDelegation(alice, pub("k1"), topology.RestrictAll()), "alice")
	f.fails(topology.ErrUnauthorized, replace, 2, otk("pk2"), "k2", "pk2")
	// The root key still works; removing the root certificate revokes the namespace.
	f.ok(replace, 2, otk("pk2"), "alice", "pk2")
	f.ok(remove, 2, topology.NewRootCertificate(pub("alice")), "alice")
	f.fails(topology.ErrInvalidSignature, replace, 3, otk("pk3"), "alice", "pk3")
}

func TestRevokedDelegationKeyBecomesUnknown(t *testing.T) {
	f := newFixture(t, testSync)
	alice := ns("alice")
	f.root("alice")
	f.ok(replace, 1, topology.NewNamespaceDelegation(alice, pub("k1"), topology.RestrictAll()), "alice")
	f.ok(remove, 2, topology.NewNamespaceDelegation(alice, pub("k1"), topology.RestrictAll()), "alice")
	// k1 is no longer named by any mapping: its signature cannot be checked.
	f.fails(topology.ErrInvalidSignature, replace, 1, topology.NewVettedPackages(member(crypto.KindParticipant, "p", alice)), "k1")
}

func TestBadSignatureBytes(t *testing.T) {
	f := newFixture(t, testSync)
	tx := mustTx(t, replace, 1, topology.NewRootCertificate(pub("alice")))
	stx := topology.Sign(tx, false, key("alice"))
	stx.Signatures[0].Sig[0] ^= 1
	if _, err := f.st.Apply(stx, 1, 1); !errors.Is(err, topology.ErrInvalidSignature) {
		t.Fatalf("got %v", err)
	}
	// A signature over another transaction does not count either.
	other := mustTx(t, replace, 2, topology.NewRootCertificate(pub("alice")))
	stx = &topology.SignedTransaction{Tx: tx, Signatures: topology.Sign(other, false, key("alice")).Signatures}
	if _, err := f.st.Apply(stx, 1, 1); !errors.Is(err, topology.ErrInvalidSignature) {
		t.Fatalf("got %v", err)
	}
}

func TestIdentifierDelegation(t *testing.T) {
	f := newFixture(t, testSync)
	alice := ns("alice")
	p1 := member(crypto.KindParticipant, "p1", alice)
	p2 := member(crypto.KindParticipant, "p2", alice)
	f.root("alice")
	f.fails(topology.ErrUnauthorized, replace, 1, topology.NewIdentifierDelegation(p1.UID, pub("idk")), "idk")
	f.ok(replace, 1, topology.NewIdentifierDelegation(p1.UID, pub("idk")), "alice")
	f.ok(replace, 1, topology.NewVettedPackages(p1, "x"), "idk")
	// Only for that identifier, and not for delegations.
	f.fails(topology.ErrUnauthorized, replace, 1, topology.NewVettedPackages(p2, "x"), "idk")
	f.fails(topology.ErrUnauthorized, replace, 1, topology.NewIdentifierDelegation(p1.UID, pub("idk2")), "idk")
	f.ok(remove, 2, topology.NewIdentifierDelegation(p1.UID, pub("idk")), "alice")
	f.fails(topology.ErrInvalidSignature, replace, 2, topology.NewVettedPackages(p1, "y"), "idk")
}
