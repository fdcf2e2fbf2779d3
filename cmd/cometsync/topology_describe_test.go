package main

import (
	"strings"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
)

// An encryption key is shown by the fingerprint the key store shows for it (keys list):
// one form everywhere.
func TestOwnerToKeyTextUsesTheKeyStoreFingerprint(t *testing.T) {
	k, err := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	if err != nil {
		t.Fatal(err)
	}
	pub := k.Public()
	text := ownerToKeyText(&pb.OwnerToKeyMapping{Member: "PAR::p::1220aa", EncryptionKeys: []*pb.EncryptionKey{{Scheme: string(pub.Scheme), Key: pub.Key}}})
	if want := string(pub.Fingerprint()) + "(" + string(pub.Scheme) + ")"; !strings.Contains(text, want) {
		t.Fatalf("%q does not show %q", text, want)
	}
}
