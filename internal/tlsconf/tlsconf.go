package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cometsync/cometsync/internal/tomlconf"
)

// Server is the TLS material of a gRPC server. The zero value serves plaintext.
type Server struct {
	// CertFile and KeyFile are the PEM certificate (chain) and private key to serve.
	CertFile, KeyFile string
	// ClientCAFile, when set, is the PEM CA that must have signed every client's
	// certificate (mutual TLS); empty accepts clients without one.
	ClientCAFile string
}

// Enabled reports whether s serves TLS.
func (s Server) Enabled() bool { return s.CertFile != "" || s.KeyFile != "" }

// Keys name the settings of a Server (or Client) in a component's TOML file, for the
// errors of the checks.
type Keys struct {
	Cert, Key, CA, ServerName, AllowPlaintext string
}

// ServerKeys are the TOML keys of a server's settings with prefix: PREFIX_tls_cert_file,
// PREFIX_tls_key_file, PREFIX_tls_client_ca_file and PREFIX_allow_plaintext.
func ServerKeys(prefix string) Keys {
	return Keys{Cert: prefix + "_tls_cert_file", Key: prefix + "_tls_key_file", CA: prefix + "_tls_client_ca_file",
		AllowPlaintext: prefix + "_allow_plaintext"}
}

// ClientKeys are the TOML keys of a client's settings with prefix: PREFIX_tls_ca_file,
// PREFIX_tls_server_name, PREFIX_tls_cert_file and PREFIX_tls_key_file.
func ClientKeys(prefix string) Keys {
	return Keys{Cert: prefix + "_tls_cert_file", Key: prefix + "_tls_key_file", CA: prefix + "_tls_ca_file",
		ServerName: prefix + "_tls_server_name"}
}

// CheckServer checks s for a server listening on listen: a certificate needs its key
// and a client CA needs a certificate; without TLS, listen must be a loopback address
// unless allowPlaintext is set.
func CheckServer(k Keys, listen string, s Server, allowPlaintext bool) error {
	switch {
	case s.CertFile != "" && s.KeyFile == "":
		return &tomlconf.FieldError{Field: k.Key, Reason: "must be set with " + k.Cert}
	case s.KeyFile != "" && s.CertFile == "":
		return &tomlconf.FieldError{Field: k.Cert, Reason: "must be set with " + k.Key}
	case s.ClientCAFile != "" && !s.Enabled():
		return &tomlconf.FieldError{Field: k.CA, Reason: "client certificates need TLS: set " + k.Cert + " and " + k.Key}
	case !s.Enabled() && !allowPlaintext && !IsLoopback(listen):
		return &tomlconf.FieldError{Field: k.AllowPlaintext, Reason: fmt.Sprintf(
			"%s is not a loopback address: serve TLS (%s, %s) or set %s = true to serve plaintext there", listen, k.Cert, k.Key, k.AllowPlaintext)}
	}
	return nil
}

// IsLoopback reports whether the listen address addr (host:port) binds loopback only:
// localhost or a loopback IP. An empty host or an unspecified IP binds every interface.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Resolve returns s with relative paths made relative to dir.
func (s Server) Resolve(dir string) Server {
	return Server{CertFile: resolve(dir, s.CertFile), KeyFile: resolve(dir, s.KeyFile), ClientCAFile: resolve(dir, s.ClientCAFile)}
}

func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// ServerConfig loads s into a tls.Config (TLS 1.2 at least; with a client CA, client
// certificates are required and verified). It returns nil for a plaintext s.
func (s Server) ServerConfig() (*tls.Config, error) {
	if !s.Enabled() {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls certificate %s with key %s: %w", s.CertFile, s.KeyFile, err)
	}
	c := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if s.ClientCAFile != "" {
		if c.ClientCAs, err = LoadPool(s.ClientCAFile); err != nil {
			return nil, err
		}
		c.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return c, nil
}

// ServerOptions returns the grpc.ServerOption serving s (none for plaintext).
func (s Server) ServerOptions() ([]grpc.ServerOption, error) {
	c, err := s.ServerConfig()
	if err != nil || c == nil {
		return nil, err
	}
	return []grpc.ServerOption{grpc.Creds(credentials.NewTLS(c))}, nil
}

// LoadPool reads the PEM certificates of path into a pool.
func LoadPool(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tls CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("tls CA file %s: no PEM certificate in it", path)
	}
	return pool, nil
}

// Client is the TLS material of a gRPC client. The zero value dials plaintext.
type Client struct {
	// CAFile is the PEM CA the server's certificate must chain to; empty dials plaintext.
	CAFile string
	// ServerName, when set, is the name the server's certificate must hold instead of
	// the dialled host.
	ServerName string
	// CertFile and KeyFile are the client's certificate and key, for servers that
	// require one (mutual TLS).
	CertFile, KeyFile string
}

// Enabled reports whether c dials TLS.
func (c Client) Enabled() bool { return c.CAFile != "" }

// CheckClient checks c: a certificate needs its key, and a server name or client
// certificate needs the CA (TLS) to be set.
func CheckClient(k Keys, c Client) error {
	switch {
	case c.CertFile != "" && c.KeyFile == "":
		return &tomlconf.FieldError{Field: k.Key, Reason: "must be set with " + k.Cert}
	case c.KeyFile != "" && c.CertFile == "":
		return &tomlconf.FieldError{Field: k.Cert, Reason: "must be set with " + k.Key}
	case c.ServerName != "" && !c.Enabled():
		return &tomlconf.FieldError{Field: k.ServerName, Reason: "needs TLS: set " + k.CA}
	case c.CertFile != "" && !c.Enabled():
		return &tomlconf.FieldError{Field: k.Cert, Reason: "a client certificate needs TLS: set " + k.CA}
	}
	return nil
}

// Resolve returns c with relative paths made relative to dir.
func (c Client) Resolve(dir string) Client {
	return Client{CAFile: resolve(dir, c.CAFile), ServerName: c.ServerName, CertFile: resolve(dir, c.CertFile), KeyFile: resolve(dir, c.KeyFile)}
}

// ClientConfig loads c into a tls.Config verifying the server against the CA (and the
// server name when set), presenting the client certificate when set. It returns nil for
// a plaintext c.
func (c Client) ClientConfig() (*tls.Config, error) {
	if !c.Enabled() {
		return nil, nil
	}
	pool, err := LoadPool(c.CAFile)
	if err != nil {
		return nil, err
	}
	tc := &tls.Config{RootCAs: pool, ServerName: c.ServerName, MinVersion: tls.VersionTLS12}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls client certificate %s with key %s: %w", c.CertFile, c.KeyFile, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// DialOption returns the transport credentials of c: TLS, or insecure (plaintext) for
// a zero c.
func (c Client) DialOption() (grpc.DialOption, error) {
	tc, err := c.ClientConfig()
	if err != nil {
		return nil, err
	}
	if tc == nil {
		return grpc.WithTransportCredentials(insecure.NewCredentials()), nil
	}
	return grpc.WithTransportCredentials(credentials.NewTLS(tc)), nil
}
