package api

import (
	"context"
	"strings"

	"google.golang.org/grpc/metadata"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/seqapi"
)

// credentials extracts member and token from incoming metadata; empty when absent.
func credentials(ctx context.Context) (member, token string) {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		return "", ""
	}
	if v := md.Get(seqapi.MetadataMember); len(v) > 0 {
		member = v[0]
	}
	if v := md.Get(seqapi.MetadataAuthorization); len(v) > 0 {
		token, _ = strings.CutPrefix(v[0], seqapi.BearerPrefix)
	}
	return member, strings.TrimSpace(token)
}

type memberKey struct{}

// credentialsKey holds the authCredentials of an authenticated SequencerService call.
type credentialsKey struct{}

// authCredentials is what a call was authenticated with: the member, the signing key its
// token was issued against and the token.
type authCredentials struct {
	member string
	key    crypto.Fingerprint
	token  string
}

func callCredentials(ctx context.Context) (authCredentials, bool) {
	c, ok := ctx.Value(credentialsKey{}).(authCredentials)
	return c, ok
}

// AuthenticatedMember returns the member a SequencerService call was authenticated as.
func AuthenticatedMember(ctx context.Context) (string, bool) {
	m, ok := ctx.Value(memberKey{}).(string)
	return m, ok
}
