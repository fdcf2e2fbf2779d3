package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"

	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

// Topology transaction files (docs/topology-cli.md): a JSON document
//
//	{"format": "cometsync.topology.transactions", "version": 1,
//	 "transactions": [{"signed": "<base64 SignedTopologyTransaction>", ...}]}
//
// where "signed" is the protobuf encoding of cometsync.topology.v1.SignedTopologyTransaction
// (topology.SignedTransaction.Marshal), possibly with no signatures yet. The other fields
// of an entry (hash, summary, signers) are informational and ignored when reading. A file
// holding the raw protobuf bytes of one SignedTopologyTransaction is read as well.
const (
	txFileFormat  = "cometsync.topology.transactions"
	txFileVersion = 1
)

type txFile struct {
	Format       string        `json:"format"`
	Version      int           `json:"version"`
	Transactions []txFileEntry `json:"transactions"`
}

type txFileEntry struct {
	Signed  string   `json:"signed"`
	Hash    string   `json:"hash"`
	Summary string   `json:"summary"`
	Signers []string `json:"signers"`
}

// writeTxFile writes stxs to path (mode 0644: topology transactions are public).
func writeTxFile(path string, stxs []*topology.SignedTransaction) error {
	f := txFile{Format: txFileFormat, Version: txFileVersion, Transactions: []txFileEntry{}}
	for _, s := range stxs {
		e := txFileEntry{Signed: base64.StdEncoding.EncodeToString(s.Marshal()), Hash: s.Tx.HashHex(), Summary: describe(s.Tx)}
		for _, fp := range s.SignedBy() {
			e.Signers = append(e.Signers, string(fp))
		}
		f.Transactions = append(f.Transactions, e)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// readTxFiles reads every file and merges the signatures of equal transactions (same
// hash), keeping the order of first appearance.
func readTxFiles(paths []string) ([]*topology.SignedTransaction, error) {
	var out []*topology.SignedTransaction
	for _, p := range paths {
		stxs, err := readTxFile(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for _, s := range stxs {
			if out, err = mergeInto(out, s); err != nil {
				return nil, err
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no topology transactions in %v", paths)
	}
	return out, nil
}

func mergeInto(list []*topology.SignedTransaction, s *topology.SignedTransaction) ([]*topology.SignedTransaction, error) {
	for i, x := range list {
		if x.Tx.HashHex() == s.Tx.HashHex() {
			m, err := x.Merge(s)
			list[i] = m
			return list, err
		}
	}
	return append(list, s), nil
}

func readTxFile(path string) ([]*topology.SignedTransaction, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		s, err := decodeSigned(b)
		return []*topology.SignedTransaction{s}, err
	}
	var f txFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	if f.Format != txFileFormat || f.Version != txFileVersion {
		return nil, fmt.Errorf("format %q version %d: want %q version %d", f.Format, f.Version, txFileFormat, txFileVersion)
	}
	var out []*topology.SignedTransaction
	for i, e := range f.Transactions {
		raw, err := base64.StdEncoding.DecodeString(e.Signed)
		if err != nil {
			return nil, fmt.Errorf("transaction %d: %w", i, err)
		}
		s, err := decodeSigned(raw)
		if err != nil {
			return nil, fmt.Errorf("transaction %d: %w", i, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// decodeSigned decodes a SignedTopologyTransaction that may have no signatures yet (an
// unsigned proposal written by `topology propose` without --sign).
func decodeSigned(b []byte) (*topology.SignedTransaction, error) {
	p := new(pb.SignedTopologyTransaction)
	if err := p.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("%w: %v", topology.ErrMalformed, err)
	}
	if len(p.Signatures) > 0 {
		return topology.FromProto(p)
	}
	tx, err := topology.DecodeTransaction(p.Transaction)
	if err != nil {
		return nil, err
	}
	return &topology.SignedTransaction{Tx: tx, Proposal: p.Proposal}, nil
}
