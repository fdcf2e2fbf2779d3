package main

import (
	"github.com/cometsync/cometsync/topology"
	"github.com/cometsync/cometsync/topology/txfile"
)

// Topology transaction files (docs/topology-cli.md) are the format of package
// topology/txfile; the entries' summaries are this CLI's descriptions.

// writeTxFile writes stxs to path (mode 0644: topology transactions are public).
func writeTxFile(path string, stxs []*topology.SignedTransaction) error {
	return txfile.WriteFile(path, stxs, describe)
}

// readTxFile reads one file (for tests: the commands read with txfile.ReadFiles).
func readTxFile(path string) ([]*topology.SignedTransaction, error) {
	return txfile.ReadFile(path)
}
