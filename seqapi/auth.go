package seqapi

import (
	"context"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/crypto"
)

// NonceSize is the size in bytes of a challenge nonce.
const NonceSize = 32

// AuthenticationHash is the hash a member signs (with SignHash) to answer a challenge:
// H(purpose authentication token, nonce, synchronizerID), each field length-prefixed.
// Binding the synchronizer id keeps a signature from being replayed on another
// synchronizer.
func AuthenticationHash(nonce []byte, synchronizerID string) []byte {
	return crypto.NewHasher(crypto.PurposeAuthenticationToken).AddBytes(nonce).AddString(synchronizerID).Sum()
}

// gRPC metadata carrying the credentials of SequencerService calls.
const (
	// MetadataAuthorization holds "Bearer <token>".
	MetadataAuthorization = "authorization"
	// MetadataMember holds the member id the token was issued to.
	MetadataMember = "member"
	// BearerPrefix precedes the token in MetadataAuthorization.
	BearerPrefix = "Bearer "
)

// WithCredentials returns ctx carrying member and token as outgoing metadata.
func WithCredentials(ctx context.Context, member, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, MetadataAuthorization, BearerPrefix+token, MetadataMember, member)
}

// AuthDomain is the ErrorInfo domain of Authenticate's refusals.
const AuthDomain = "cometsync.auth"

// ErrorInfo reasons of Authenticate's Unauthenticated refusals (AuthRefusal reads them).
const (
	// ReasonSignatureRefused: the member is unknown, the key is not one of its current
	// signing keys, or the signature does not verify; the server does not say which.
	ReasonSignatureRefused = "signature_refused"
	// ReasonNonceRefused: the nonce is unknown (never issued, used, or evicted by newer
	// challenges), expired or issued to another member: ask for a new challenge.
	ReasonNonceRefused = "nonce_refused"
)

// AuthRefusal returns the reason of a refusal by Authenticate (ReasonSignatureRefused or
// ReasonNonceRefused); ok is false for other errors.
func AuthRefusal(err error) (reason string, ok bool) {
	st, isStatus := status.FromError(err)
	if !isStatus {
		return "", false
	}
	for _, d := range st.Details() {
		if info, isInfo := d.(*errdetails.ErrorInfo); isInfo && info.Domain == AuthDomain {
			return info.Reason, true
		}
	}
	return "", false
}
