// Package lyingnode is a sequencer node that lies, for tests: a gRPC proxy in front of
// a real node's sequencer API that forwards every call and, as its Lie says, alters
// what it serves: one byte of an event's envelope, a dropped or two swapped events
// (counters renumbered, so that only the proofs tell), another member's stream served
// as the caller's, a forged light block, a light block of a fork (re-signed by a
// validator key the chain does not have), or a tail withheld. Verified reads
// (driver.VerifyConfig) must detect each lie with its specific error.
//
//	liar := lyingnode.Start(t, net.APIAddress(0), lyingnode.Lie{AlterCounter: 3})
//	cfg.Endpoints = []string{liar.Addr(), net.APIAddress(0)}
package lyingnode
