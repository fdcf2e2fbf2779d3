package driver

import (
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/internal/tlsconf"
	"github.com/cometsync/cometsync/internal/tomlconf"
)

// ErrInvalidConfig is returned by Config.Validate and New for unusable settings.
var ErrInvalidConfig = errors.New("invalid driver config")

// ConfigError names the Config field that is invalid, as its key is written in snake_case
// (endpoints, send_ttl, endpoints[1], ...).
type ConfigError struct {
	Field, Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%v: %s: %s", ErrInvalidConfig, e.Field, e.Reason)
}

// Unwrap returns ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// Config tunes a Client.
type Config struct {
	// Endpoints are sequencer API addresses (host:port), tried in order.
	Endpoints []string
	// SynchronizerID pins the synchronizer; empty accepts the first one seen and pins it.
	SynchronizerID string
	// Member is the member id this client acts as (PAR::..., MED::...).
	Member string
	// SigningKey is the member's current signing key.
	SigningKey crypto.SigningPrivateKey
	// SendTTL is the default time from Send to the max sequencing time.
	SendTTL time.Duration
	// ResubmitInterval is how often an unanswered submission is resubmitted.
	ResubmitInterval time.Duration
	// CallTimeout bounds each unary call.
	CallTimeout time.Duration
	// TokenRenewMargin renews a token when less than this is left (at most half its
	// lifetime).
	TokenRenewMargin time.Duration
	// ReconnectBackoff and MaxReconnectBackoff bound the wait between subscription
	// reconnects (doubling from the first to the second).
	ReconnectBackoff    time.Duration
	MaxReconnectBackoff time.Duration
	// TLS secures the connections to the endpoints; the zero value dials plaintext
	// (loopback and tests).
	TLS TLS
	// Verify turns on verified reads (see VerifyConfig); off, the client believes the
	// node it reads from.
	Verify VerifyConfig
	// SubscribeAgreed, when positive, makes Subscribe run SubscribeAgreed with this
	// threshold over every endpoint: for several endpoints without verification (an
	// alternative to Verify, not an addition).
	SubscribeAgreed int
	// DialOptions are passed to grpc.NewClient after the gogoproto codec and the
	// transport credentials of TLS, so that they may override them.
	DialOptions []grpc.DialOption
}

// TLS is the client side of the sequencer API's TLS: the CA the nodes' certificates must
// chain to (empty: plaintext), a server name to verify instead of each endpoint's host,
// and a client certificate and key for nodes that require one (mutual TLS). Paths are
// used as given.
type TLS struct {
	CAFile, ServerName, CertFile, KeyFile string
}

func (t TLS) conf() tlsconf.Client {
	return tlsconf.Client{CAFile: t.CAFile, ServerName: t.ServerName, CertFile: t.CertFile, KeyFile: t.KeyFile}
}

// tlsKeys name the TLS fields in a ConfigError.
var tlsKeys = tlsconf.Keys{CA: "tls_ca_file", ServerName: "tls_server_name", Cert: "tls_cert_file", Key: "tls_key_file"}

// transport returns the dial option of c.TLS, reading its files: TLS credentials, or
// plaintext ones for a zero TLS.
func (c Config) transport() (grpc.DialOption, error) {
	opt, err := c.TLS.conf().DialOption()
	if err != nil {
		return nil, &ConfigError{"tls", err.Error()}
	}
	return opt, nil
}

// DefaultConfig returns production defaults; Endpoints, Member and SigningKey must be set.
func DefaultConfig() Config {
	return Config{
		SendTTL:             60 * time.Second,
		ResubmitInterval:    5 * time.Second,
		CallTimeout:         10 * time.Second,
		TokenRenewMargin:    5 * time.Minute,
		ReconnectBackoff:    100 * time.Millisecond,
		MaxReconnectBackoff: 5 * time.Second,
		Verify:              DefaultVerifyConfig(),
	}
}

// Validate returns a *ConfigError naming the first bad field.
func (c Config) Validate() error {
	switch {
	case len(c.Endpoints) == 0:
		return &ConfigError{"endpoints", "empty"}
	case c.SendTTL <= 0:
		return &ConfigError{"send_ttl", "must be positive"}
	case c.ResubmitInterval <= 0:
		return &ConfigError{"resubmit_interval", "must be positive"}
	case c.CallTimeout <= 0:
		return &ConfigError{"call_timeout", "must be positive"}
	case c.TokenRenewMargin < 0:
		return &ConfigError{"token_renew_margin", "must not be negative"}
	case c.ReconnectBackoff <= 0 || c.MaxReconnectBackoff < c.ReconnectBackoff:
		return &ConfigError{"reconnect_backoff", "must be positive and at most max_reconnect_backoff"}
	case len(c.SigningKey.Key) == 0:
		return &ConfigError{"signing_key", "not set"}
	}
	for i, e := range c.Endpoints {
		if e == "" {
			return &ConfigError{fmt.Sprintf("endpoints[%d]", i), "empty"}
		}
	}
	if _, err := crypto.ParseMember(c.Member); err != nil {
		return &ConfigError{"member", err.Error()}
	}
	var fe *tomlconf.FieldError
	if err := tlsconf.CheckClient(tlsKeys, c.TLS.conf()); errors.As(err, &fe) {
		return &ConfigError{fe.Field, fe.Reason}
	}
	if c.SynchronizerID != "" {
		if _, err := crypto.ParseUID(c.SynchronizerID); err != nil {
			return &ConfigError{"synchronizer_id", err.Error()}
		}
	}
	switch {
	case c.SubscribeAgreed < 0 || c.SubscribeAgreed > len(c.Endpoints):
		return &ConfigError{"subscribe_agreed", fmt.Sprintf("%d: want 0 (off) up to the %d endpoints", c.SubscribeAgreed, len(c.Endpoints))}
	case c.SubscribeAgreed > 0 && c.Verify.Enabled:
		return &ConfigError{"subscribe_agreed", "set with verification on: use one or the other (verify_reads = false for agreement)"}
	}
	return c.Verify.validate()
}
