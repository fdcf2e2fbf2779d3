package txfile

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

// Format and Version identify the JSON document.
const (
	Format  = "cometsync.topology.transactions"
	Version = 1
)

// MaxFileSize bounds what Read and ReadFile accept.
const MaxFileSize = 64 << 20

// ErrUnsupportedFormat is wrapped by the *FormatError Decode returns for a JSON document
// of another format or version.
var ErrUnsupportedFormat = errors.New("unsupported topology transaction file format")

// FormatError is a JSON document of another format or version than this package's.
type FormatError struct {
	Format  string
	Version int
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("format %q version %d: want %q version %d", e.Format, e.Version, Format, Version)
}

// Unwrap returns ErrUnsupportedFormat.
func (e *FormatError) Unwrap() error { return ErrUnsupportedFormat }

// EntryError is a transaction of a file that does not decode, with its index.
type EntryError struct {
	Index int
	Err   error
}

func (e *EntryError) Error() string { return fmt.Sprintf("transaction %d: %v", e.Index, e.Err) }

// Unwrap returns the cause.
func (e *EntryError) Unwrap() error { return e.Err }

// malformedError marks an error of the JSON or base64 layer as topology.ErrMalformed
// while keeping its message.
type malformedError struct{ err error }

func (e *malformedError) Error() string   { return e.err.Error() }
func (e *malformedError) Unwrap() []error { return []error{topology.ErrMalformed, e.err} }

type file struct {
	Format       string  `json:"format"`
	Version      int     `json:"version"`
	Transactions []entry `json:"transactions"`
}

type entry struct {
	Signed  string   `json:"signed"`
	Hash    string   `json:"hash"`
	Summary string   `json:"summary"`
	Signers []string `json:"signers"`
}

// Summarizer renders the informational one-line summary of a transaction in a file.
type Summarizer func(*topology.Transaction) string

// Encode returns the file holding stxs, in order; summarize (nil: Transaction.String)
// fills each entry's summary.
func Encode(stxs []*topology.SignedTransaction, summarize Summarizer) ([]byte, error) {
	if summarize == nil {
		summarize = (*topology.Transaction).String
	}
	f := file{Format: Format, Version: Version, Transactions: []entry{}}
	for _, s := range stxs {
		e := entry{Signed: base64.StdEncoding.EncodeToString(s.Marshal()), Hash: s.Tx.HashHex(), Summary: summarize(s.Tx)}
		for _, fp := range s.SignedBy() {
			e.Signers = append(e.Signers, string(fp))
		}
		f.Transactions = append(f.Transactions, e)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Write writes the file holding stxs to w (see Encode).
func Write(w io.Writer, stxs []*topology.SignedTransaction, summarize Summarizer) error {
	b, err := Encode(stxs, summarize)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// WriteFile writes the file holding stxs to path with mode 0644: topology transactions
// are public.
func WriteFile(path string, stxs []*topology.SignedTransaction, summarize Summarizer) error {
	b, err := Encode(stxs, summarize)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// Decode reads a file: the JSON document, or the raw protobuf bytes of one
// SignedTopologyTransaction when b does not start (after white space) with '{'. The
// transactions come back in file order, validated (see topology.DecodeTransaction);
// signatures are checked for form, not verified.
func Decode(b []byte) ([]*topology.SignedTransaction, error) {
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("%w: %d bytes exceed %d", topology.ErrMalformed, len(b), MaxFileSize)
	}
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		s, err := DecodeSigned(b)
		if err != nil {
			return nil, err
		}
		return []*topology.SignedTransaction{s}, nil
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, &malformedError{err}
	}
	if f.Format != Format || f.Version != Version {
		return nil, &FormatError{Format: f.Format, Version: f.Version}
	}
	out := make([]*topology.SignedTransaction, 0, len(f.Transactions))
	for i, e := range f.Transactions {
		raw, err := base64.StdEncoding.DecodeString(e.Signed)
		if err != nil {
			return nil, &EntryError{Index: i, Err: &malformedError{err}}
		}
		s, err := DecodeSigned(raw)
		if err != nil {
			return nil, &EntryError{Index: i, Err: err}
		}
		out = append(out, s)
	}
	return out, nil
}

// Read reads a file from r (at most MaxFileSize bytes; see Decode).
func Read(r io.Reader) ([]*topology.SignedTransaction, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	return Decode(b)
}

// ReadFile reads the file at path (see Decode).
func ReadFile(path string) ([]*topology.SignedTransaction, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f)
}

// DecodeSigned decodes a SignedTopologyTransaction that may have no signatures yet (an
// unsigned proposal); with signatures it is topology.FromProto. Errors wrap the topology
// sentinels.
func DecodeSigned(b []byte) (*topology.SignedTransaction, error) {
	if len(b) > topology.MaxTransactionSize {
		return nil, fmt.Errorf("%w: %d bytes exceed %d", topology.ErrMalformed, len(b), topology.MaxTransactionSize)
	}
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
