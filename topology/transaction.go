package topology

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
)

// MaxTransactionSize bounds a serialized topology transaction or signed transaction.
const MaxTransactionSize = 1 << 20

// Transaction is a validated, normalized topology transaction with its canonical
// encoding and hash. It is immutable; accessors return copies where mutation could
// leak.
type Transaction struct {
	tx    *pb.TopologyTransaction
	key   UniqueKey
	bytes []byte
	hash  []byte
}

// NewTransaction validates a transaction built from parts. It does not modify m.
func NewTransaction(op pb.Operation, serial uint64, m *pb.TopologyMapping) (*Transaction, error) {
	tx := &pb.TopologyTransaction{Operation: op, Serial: serial, Mapping: m}
	b, err := tx.Marshal()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return DecodeTransaction(b)
}

// DecodeTransaction decodes, validates and normalizes a serialized TopologyTransaction.
// Errors wrap ErrMalformed or ErrInvalidMapping.
func DecodeTransaction(b []byte) (*Transaction, error) {
	if len(b) > MaxTransactionSize {
		return nil, fmt.Errorf("%w: %d bytes exceed %d", ErrMalformed, len(b), MaxTransactionSize)
	}
	tx := new(pb.TopologyTransaction)
	if err := tx.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := validateTransaction(tx); err != nil {
		return nil, err
	}
	canonical, err := tx.Marshal()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return &Transaction{
		tx:    tx,
		key:   uniqueKeyOf(tx.Mapping),
		bytes: canonical,
		hash:  crypto.HashBytes(crypto.PurposeTopologyTransaction, canonical),
	}, nil
}

func validateTransaction(tx *pb.TopologyTransaction) error {
	if tx.Operation != pb.Operation_OPERATION_REPLACE && tx.Operation != pb.Operation_OPERATION_REMOVE {
		return invalid("operation", "unknown operation %d", int32(tx.Operation))
	}
	if tx.Serial == 0 {
		return invalid("serial", "serials start at 1")
	}
	if tx.Mapping == nil {
		return invalid("mapping", "missing")
	}
	return validateMapping(tx.Mapping)
}

// Hash is SHA-256(uint32be(120) || uint32be(len) || canonical bytes); signatures are
// made over it with purpose 11.
func (t *Transaction) Hash() []byte { return bytes.Clone(t.hash) }

// HashHex is the hash in hex, for logs and map keys.
func (t *Transaction) HashHex() string { return hex.EncodeToString(t.hash) }

// Bytes is the canonical encoding.
func (t *Transaction) Bytes() []byte { return bytes.Clone(t.bytes) }

// Key is the unique key of the mapping.
func (t *Transaction) Key() UniqueKey { return t.key }

// Code is the mapping code.
func (t *Transaction) Code() pb.MappingCode { return t.key.Code }

// Serial is the transaction's serial.
func (t *Transaction) Serial() uint64 { return t.tx.Serial }

// Operation is REPLACE or REMOVE.
func (t *Transaction) Operation() pb.Operation { return t.tx.Operation }

// IsRemove reports whether the transaction removes its mapping.
func (t *Transaction) IsRemove() bool { return t.tx.Operation == pb.Operation_OPERATION_REMOVE }

// Mapping returns a copy of the normalized mapping.
func (t *Transaction) Mapping() *pb.TopologyMapping {
	m := new(pb.TopologyMapping)
	if err := m.Unmarshal(t.mustMarshalMapping()); err != nil {
		panic(fmt.Sprintf("topology: re-decoding a validated mapping: %v", err))
	}
	return m
}

// mapping returns the internal mapping; callers must not modify it.
func (t *Transaction) mapping() *pb.TopologyMapping { return t.tx.Mapping }

func (t *Transaction) mustMarshalMapping() []byte {
	b, err := t.tx.Mapping.Marshal()
	if err != nil {
		panic(fmt.Sprintf("topology: encoding a validated mapping: %v", err))
	}
	return b
}

// String describes the transaction for logs.
func (t *Transaction) String() string {
	return fmt.Sprintf("%s %s serial %d (%s)", t.tx.Operation, t.key, t.tx.Serial, t.HashHex()[:12])
}
