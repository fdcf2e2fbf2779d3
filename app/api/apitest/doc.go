// Package apitest provides an in-memory sequencer Backend and fixtures for testing the
// sequencer API (package api) and its clients (package driver) without CometBFT.
//
// Backend runs the real core.Machine over a core.MemReader: Submit runs Machine.Check
// as CheckTx would and puts admitted submissions in a mempool, Commit executes the mempool
// as one block with Machine.Execute, applies the writes and closes the CommitNotify
// channel. With AutoCommit every admitted submission is committed at once. Faults can be
// injected: DropNextSubmissions makes the mempool silently lose submissions (as CometBFT's
// can after CheckTx said OK), DeleteEvent removes a stored event to produce a gap.
//
// Fixture builds a genesis with members and their signing keys, and StartServer serves
// an api.Server on a loopback port chosen at run time.
package apitest
