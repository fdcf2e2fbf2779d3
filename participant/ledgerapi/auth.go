package ledgerapi

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MinSecretLength is the minimum length in bytes of the HS256 shared secret.
const MinSecretLength = 32

// Auth configures how the Ledger API authenticates calls: JWTs signed with HS256 under a
// shared Secret, with the user id as subject ("sub") and a required expiry ("exp").
type Auth struct {
	// Secret is the HS256 key, at least MinSecretLength bytes.
	Secret []byte
	// Audience, when set, must be one of the token's "aud" values.
	Audience string
	// Now is the clock for expiry checks; nil means time.Now.
	Now func() time.Time
}

// Validate checks the secret's length; its error is a *ConfigError wrapping ErrInvalidAuth.
func (a Auth) Validate() error {
	if len(a.Secret) < MinSecretLength {
		return &ConfigError{Field: "secret", Reason: fmt.Sprintf("%d bytes, want at least %d", len(a.Secret), MinSecretLength), sentinel: ErrInvalidAuth}
	}
	return nil
}

func (a Auth) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// MintToken returns an HS256 JWT for user, expiring ttl from now, with audience when it
// is not empty. The CLI and tests use it; any JWT library producing the same claims works.
func MintToken(secret []byte, user, audience string, ttl time.Duration) (string, error) {
	if err := (Auth{Secret: secret}).Validate(); err != nil {
		return "", err
	}
	if err := ValidateUserID(user); err != nil {
		return "", err
	}
	if ttl <= 0 {
		return "", fmt.Errorf("ledgerapi: token ttl %v must be positive", ttl)
	}
	now := time.Now()
	claims := jwt.RegisteredClaims{
		Subject:   user,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}
	if audience != "" {
		claims.Audience = jwt.ClaimStrings{audience}
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
}

// Verify checks token and returns its subject, the user id. Errors wrap ErrTokenExpired
// (exp has passed) or ErrInvalidToken (anything else: malformed, bad signature, an
// algorithm other than HS256, no exp, no subject, wrong or missing audience).
func (a Auth) Verify(token string) (string, error) {
	if err := a.Validate(); err != nil {
		return "", err
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(a.now),
	}
	if a.Audience != "" {
		opts = append(opts, jwt.WithAudience(a.Audience))
	}
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return a.Secret, nil }, opts...)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "", fmt.Errorf("%w: %v", ErrTokenExpired, err)
	case err != nil:
		return "", fmt.Errorf("%w: %v", ErrInvalidToken, err)
	case claims.Subject == "":
		return "", fmt.Errorf("%w: no subject (sub) claim", ErrInvalidToken)
	}
	return claims.Subject, nil
}

// ReadSecretFile reads an HS256 secret from path, without surrounding whitespace (so that
// a trailing newline does not count), and checks its length. The node and the CLI both
// read the secret with it, so they agree on its bytes.
func ReadSecretFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ledger api secret: %w", err)
	}
	secret := bytes.TrimSpace(b)
	if err := (Auth{Secret: secret}).Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return secret, nil
}
