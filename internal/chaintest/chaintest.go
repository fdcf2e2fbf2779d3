// Package chaintest starts the in-process chains of cometsync's integration tests: one
// call gives a running testnet.Network, in the test's temporary directory, closed when
// the test ends. It is the one copy of that setup; tests add their members' processes
// (mediators, participants) on top.
//
//	net := chaintest.Start(t, testnet.Options{Validators: 1, Members: specs})
package chaintest

import (
	"testing"

	"github.com/cometsync/cometsync/testnet"
)

// Start creates the network o describes (in t.TempDir() when o.Dir is empty), starts
// every validator and closes the network when the test ends. It fails the test on error.
func Start(t testing.TB, o testnet.Options) *testnet.Network {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	net, err := testnet.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(net.Close)
	if err := net.StartAll(); err != nil {
		t.Fatal(err)
	}
	return net
}
