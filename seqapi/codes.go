package seqapi

import (
	"fmt"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// ProtocolVersion is the sequencer protocol version this code speaks: the genesis names
// it and a client's Handshake must offer it.
const ProtocolVersion = "cometsync/1"

// Codespace is the ABCI codespace of the codes below.
const Codespace = "cometsync"

// Code is the ABCI result code of a submission. 0 is success.
type Code uint32

// Result codes. Codes up to CodeBadSignature are not attributable to a sender: the
// submission is dropped. The others are reported to the sender as a DeliverError.
const (
	CodeOK               Code = 0
	CodeMalformed        Code = 1
	CodeUnknownSender    Code = 2
	CodeUnknownKey       Code = 3
	CodeBadSignature     Code = 4
	CodeTooLarge         Code = 5
	CodeInvalidBatch     Code = 6
	CodeUnknownRecipient Code = 7
	CodeExpired          Code = 8
	CodeDuplicate        Code = 9
	CodeTopologyRejected Code = 10
	// CodeTrafficExceeded: the sender's traffic (base plus extra, see traffic control)
	// does not cover the submission, or the sender is in maintenance.
	CodeTrafficExceeded Code = 11

	// MaxCode is the highest code in use.
	MaxCode = CodeTrafficExceeded
)

var codeNames = map[Code]string{
	CodeOK: "ok", CodeMalformed: "malformed", CodeUnknownSender: "unknown_sender",
	CodeUnknownKey: "unknown_key", CodeBadSignature: "bad_signature", CodeTooLarge: "too_large",
	CodeInvalidBatch: "invalid_batch", CodeUnknownRecipient: "unknown_recipient",
	CodeExpired: "expired", CodeDuplicate: "duplicate_message_id",
	CodeTopologyRejected: "topology_rejected", CodeTrafficExceeded: "traffic_exceeded",
}

// String returns the code's short name (used as a metrics label).
func (c Code) String() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return fmt.Sprintf("code_%d", uint32(c))
}

// Attributable reports whether the sender is authenticated when this code is returned,
// so that the failure is reported to it as a DeliverError.
func (c Code) Attributable() bool { return c >= CodeTooLarge }

// ErrorCode maps an attributable code to the DeliverError code.
func (c Code) ErrorCode() pb.ErrorCode {
	switch c {
	case CodeExpired:
		return pb.ErrorCode_ERROR_CODE_EXPIRED
	case CodeUnknownRecipient:
		return pb.ErrorCode_ERROR_CODE_UNKNOWN_RECIPIENT
	case CodeDuplicate:
		return pb.ErrorCode_ERROR_CODE_DUPLICATE_MESSAGE_ID
	case CodeTopologyRejected:
		return pb.ErrorCode_ERROR_CODE_TOPOLOGY_REJECTED
	case CodeTrafficExceeded:
		return pb.ErrorCode_ERROR_CODE_TRAFFIC_EXCEEDED
	}
	return pb.ErrorCode_ERROR_CODE_INVALID_BATCH
}
