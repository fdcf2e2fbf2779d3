package protocol

import (
	"errors"
	"fmt"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/mediatorpb"
)

// Errors of the confirmation messages' decoders.
var (
	// ErrMalformedRequest: the informee tree of a confirmation request does not decode.
	ErrMalformedRequest = errors.New("malformed request")
	// ErrUndecodableResponse: a signed confirmation response, or the response in it, does
	// not decode.
	ErrUndecodableResponse = errors.New("undecodable response")
)

// DecodeMediatorInformeeTree decodes a serialized mediatorpb.InformeeTree: the informee
// tree of a confirmation request as the mediator receives it.
func DecodeMediatorInformeeTree(b []byte) (*pb.InformeeTree, error) {
	var t pb.InformeeTree
	if err := t.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("%w: informee tree: %v", ErrMalformedRequest, err)
	}
	return &t, nil
}

// DecodeSignedResponse decodes a serialized SignedConfirmationResponse and the response
// it carries.
func DecodeSignedResponse(b []byte) (*pb.SignedConfirmationResponse, *pb.ConfirmationResponse, error) {
	var s pb.SignedConfirmationResponse
	if err := s.Unmarshal(b); err != nil {
		return nil, nil, fmt.Errorf("%w: envelope: %v", ErrUndecodableResponse, err)
	}
	var r pb.ConfirmationResponse
	if err := r.Unmarshal(s.Response); err != nil {
		return nil, nil, fmt.Errorf("%w: response: %v", ErrUndecodableResponse, err)
	}
	return &s, &r, nil
}

// ResponseDigest is the hash a participant signs over serialized response bytes.
func ResponseDigest(response []byte) []byte {
	return crypto.HashBytes(PurposeConfirmationResponse, response)
}

// ResultDigest is the hash the mediator signs over serialized result bytes.
func ResultDigest(result []byte) []byte { return crypto.HashBytes(PurposeTransactionResult, result) }

// SignResponse serializes r and signs it with key: the bytes of a
// SignedConfirmationResponse, as a participant sends it.
func SignResponse(key crypto.SigningPrivateKey, r *pb.ConfirmationResponse) ([]byte, error) {
	body, err := r.Marshal()
	if err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	s := &pb.SignedConfirmationResponse{
		Response: body, Signature: key.SignHash(ResponseDigest(body)), SigningKey: string(key.Fingerprint()),
	}
	return s.Marshal()
}

// SignResult serializes r and signs it with the mediator's key.
func SignResult(key crypto.SigningPrivateKey, r *pb.TransactionResult) (*pb.SignedTransactionResult, error) {
	body, err := r.Marshal()
	if err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	return &pb.SignedTransactionResult{
		Result: body, Signature: key.SignHash(ResultDigest(body)), SigningKey: string(key.Fingerprint()),
	}, nil
}

// VerifyResult checks the mediator's signature on s with v and decodes the result; at is
// the time whose keys apply.
func VerifyResult(v Verifier, mediator string, at int64, s *pb.SignedTransactionResult) (*pb.TransactionResult, error) {
	if err := v.Verify(mediator, s.SigningKey, at, ResultDigest(s.Result), s.Signature); err != nil {
		return nil, fmt.Errorf("transaction result: %w", err)
	}
	var r pb.TransactionResult
	if err := r.Unmarshal(s.Result); err != nil {
		return nil, fmt.Errorf("transaction result: %w", err)
	}
	return &r, nil
}

// Hash purposes of the mediator protocol (range 140–149). They are never reused.
// Hash purposes of the confirmation messages (range 140–149). They are never reused.
const (
	// PurposeConfirmationResponse prefixes the hash a participant signs over a serialized
	// ConfirmationResponse.
	PurposeConfirmationResponse crypto.Purpose = 140
	// PurposeTransactionResult prefixes the hash the mediator signs over a serialized
	// TransactionResult.
	PurposeTransactionResult crypto.Purpose = 141
)

// Verifier checks a member's signature. The loop implements it with the signing keys of
// the member's OwnerToKeyMapping valid at time at; the core never looks keys up itself.
// Implementations must be deterministic for replay.
type Verifier interface {
	// Verify returns nil when signature is member's signature of digest with the key of
	// fingerprint key, valid at time at (microseconds).
	Verify(member, key string, at int64, digest, signature []byte) error
}

// StaticKeys is a Verifier over a fixed set of keys per member (tests, simple setups).
type StaticKeys map[string][]crypto.SigningPublicKey

// Verify implements Verifier.
func (s StaticKeys) Verify(member, key string, _ int64, digest, signature []byte) error {
	for _, k := range s[member] {
		if string(k.Fingerprint()) == key {
			return k.VerifyHash(digest, signature)
		}
	}
	return fmt.Errorf("%w: no key %q for %s", crypto.ErrBadSignature, key, member)
}
