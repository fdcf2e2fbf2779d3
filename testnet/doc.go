// Package testnet builds and runs networks of cometsync sequencer nodes.
//
// Network is the in-process harness that integration tests, the demo and benchmarks use:
// it creates the homes of N validators sharing one genesis on loopback ports picked at run
// time, generates member keys, and starts, stops, wipes and restarts nodes so that
// multi-node scenarios read like scripts:
//
//	net, _ := testnet.New(testnet.Options{Dir: dir, Validators: 4, Members: specs})
//	net.StartAll()
//	net.Stop(3)
//	... send traffic ...
//	net.Start(3)
//	net.WaitHeight(ctx, 3, h)
package testnet
