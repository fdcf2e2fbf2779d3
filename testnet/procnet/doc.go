// Package procnet runs a cometsync network as separate OS processes on this machine:
// Init generates every validator's home (one shared genesis, loopback ports, member key
// files) and a manifest; Start launches `cometsync node start` per validator with its own
// log; Stop, Kill and Status manage and inspect them through pid files and CometBFT's
// RPC. The `cometsync testnet` commands and the fault-tolerance test use it.
package procnet
