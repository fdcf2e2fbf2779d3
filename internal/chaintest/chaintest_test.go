package chaintest_test

import (
	"testing"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/internal/chaintest"
	"github.com/cometsync/cometsync/testnet"
)

func TestStartRunsTheNetwork(t *testing.T) {
	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: []testnet.MemberSpec{{Kind: crypto.KindParticipant, Name: "p"}}})
	if net.Dir == "" || net.Member("p").ID == "" || len(net.APIAddresses()) != 1 {
		t.Fatalf("network %+v", net)
	}
}
