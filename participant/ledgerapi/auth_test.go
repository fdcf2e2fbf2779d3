package ledgerapi_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc/codes"

	"github.com/cometsync/cometsync/participant/ledgerapi"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

func signed(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t, nil)
	exp := time.Now().Add(time.Hour).Unix()
	otherSecret := []byte("another-secret-of-at-least-32-bytes!")
	tests := []struct {
		name  string
		token string // "" means no authorization metadata
		code  codes.Code
		msg   string
	}{
		{"missing token", "", codes.Unauthenticated, "missing bearer token"},
		{"garbage", "not-a-jwt", codes.Unauthenticated, "invalid token"},
		{"bad signature", signed(t, jwt.SigningMethodHS256, otherSecret, jwt.MapClaims{"sub": "alice", "exp": exp}),
			codes.Unauthenticated, "signature is invalid"},
		{"alg none", signed(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"sub": "alice", "exp": exp}),
			codes.Unauthenticated, "signing method none is invalid"},
		{"alg HS512", signed(t, jwt.SigningMethodHS512, testSecret, jwt.MapClaims{"sub": "alice", "exp": exp}),
			codes.Unauthenticated, "signing method HS512 is invalid"},
		{"no exp", signed(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"sub": "alice"}),
			codes.Unauthenticated, "exp claim is required"},
		{"expired", signed(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"sub": "alice", "exp": time.Now().Add(-time.Minute).Unix()}),
			codes.Unauthenticated, "token expired"},
		{"no subject", signed(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"exp": exp}),
			codes.Unauthenticated, "no subject"},
		{"unknown user", signed(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"sub": "mallory", "exp": exp}),
			codes.Unauthenticated, `user "mallory" is unknown`},
		{"valid", signed(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"sub": "alice", "exp": exp}), codes.OK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := withToken(t, tt.token)
			if tt.token == "" {
				ctx = t.Context()
			}
			_, err := e.state.GetLedgerEnd(ctx, &pb.GetLedgerEndRequest{})
			wantCode(t, err, tt.code, tt.msg)
			// Streams are authenticated the same way.
			stream, err := e.upd.GetUpdates(ctx, &pb.GetUpdatesRequest{})
			if err == nil && tt.code != codes.OK {
				_, err = stream.Recv()
				wantCode(t, err, tt.code, tt.msg)
			}
		})
	}
}

func TestTokenExpiresWithClock(t *testing.T) {
	e := newEnv(t, nil)
	ctx := as(t, "alice") // valid for one hour
	if _, err := e.state.GetLedgerEnd(ctx, &pb.GetLedgerEndRequest{}); err != nil {
		t.Fatal(err)
	}
	e.clock.advance(2 * time.Hour)
	_, err := e.state.GetLedgerEnd(ctx, &pb.GetLedgerEndRequest{})
	wantCode(t, err, codes.Unauthenticated, "token expired")
}

func TestAudience(t *testing.T) {
	e := newEnv(t, func(a *ledgerapi.Auth) { a.Audience = "https://participant1.example" })
	for _, tt := range []struct {
		aud  string
		code codes.Code
		msg  string
	}{
		{"", codes.Unauthenticated, "aud claim is required"},
		{"https://other.example", codes.Unauthenticated, "token has invalid audience"},
		{"https://participant1.example", codes.OK, ""},
	} {
		tok, err := ledgerapi.MintToken(testSecret, "alice", tt.aud, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.state.GetLedgerEnd(withToken(t, tok), &pb.GetLedgerEndRequest{})
		wantCode(t, err, tt.code, tt.msg)
	}
}

func TestDeactivatedUser(t *testing.T) {
	e := newEnv(t, nil)
	if _, err := e.users.Create(ledgerapi.User{ID: "carol", Deactivated: true}, ledgerapi.CanActAs(alice)); err != nil {
		t.Fatal(err)
	}
	_, err := e.state.GetLedgerEnd(as(t, "carol"), &pb.GetLedgerEndRequest{})
	wantCode(t, err, codes.Unauthenticated, "user deactivated: carol")
}

func TestMintTokenAndAuthValidate(t *testing.T) {
	short := []byte("too short")
	if _, err := ledgerapi.MintToken(short, "alice", "", time.Hour); err == nil {
		t.Fatal("MintToken accepted a 9-byte secret")
	}
	var ce *ledgerapi.ConfigError
	if err := (ledgerapi.Auth{Secret: short}).Validate(); !errors.Is(err, ledgerapi.ErrInvalidAuth) || !errors.As(err, &ce) || ce.Field != "secret" {
		t.Fatalf("Validate of a 9-byte secret: %v", err)
	}
	if _, err := ledgerapi.MintToken(testSecret, "Alice", "", time.Hour); err == nil {
		t.Fatal("MintToken accepted an invalid user id")
	}
	if _, err := ledgerapi.MintToken(testSecret, "alice", "", 0); err == nil {
		t.Fatal("MintToken accepted a zero ttl")
	}
	tok, err := ledgerapi.MintToken(testSecret, "alice", "aud1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := ledgerapi.Auth{Secret: testSecret, Audience: "aud1"}.Verify(tok)
	if err != nil || sub != "alice" {
		t.Fatalf("Verify = %q, %v", sub, err)
	}
}

func TestServerWithInvalidAuthRefusesCalls(t *testing.T) {
	// A misconfigured secret must not open the API: even tokens signed with it are refused.
	short := []byte("short")
	e := newEnv(t, func(a *ledgerapi.Auth) { a.Secret = short })
	tok := signed(t, jwt.SigningMethodHS256, short, jwt.MapClaims{"sub": "alice", "exp": time.Now().Add(time.Hour).Unix()})
	_, err := e.state.GetLedgerEnd(withToken(t, tok), &pb.GetLedgerEndRequest{})
	wantCode(t, err, codes.Unauthenticated, "secret: 5 bytes, want at least 32")
}

func TestReadSecretFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if err := os.WriteFile(good, append(append([]byte{}, testSecret...), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ledgerapi.ReadSecretFile(good)
	if err != nil || string(got) != string(testSecret) {
		t.Fatalf("ReadSecretFile = %q, %v", got, err)
	}
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte("abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ledgerapi.ReadSecretFile(short); !errors.Is(err, ledgerapi.ErrInvalidAuth) {
		t.Fatalf("short secret: %v", err)
	}
}
