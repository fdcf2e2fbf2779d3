package tlsconf_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/internal/tlsconf"
	"github.com/cometsync/cometsync/internal/tomlconf"
)

func TestCheckServerNamesSetting(t *testing.T) {
	k := tlsconf.ServerKeys("api")
	for _, tc := range []struct {
		name, listen, field string
		s                   tlsconf.Server
		allow               bool
	}{
		{"plaintext on all interfaces", "0.0.0.0:1", "api_allow_plaintext", tlsconf.Server{}, false},
		{"plaintext on an empty host", ":1", "api_allow_plaintext", tlsconf.Server{}, false},
		{"plaintext on a LAN address", "10.0.0.1:1", "api_allow_plaintext", tlsconf.Server{}, false},
		{"cert without key", "127.0.0.1:1", "api_tls_key_file", tlsconf.Server{CertFile: "c"}, false},
		{"key without cert", "127.0.0.1:1", "api_tls_cert_file", tlsconf.Server{KeyFile: "k"}, false},
		{"client CA without TLS", "127.0.0.1:1", "api_tls_client_ca_file", tlsconf.Server{ClientCAFile: "ca"}, true},
	} {
		err := tlsconf.CheckServer(k, tc.listen, tc.s, tc.allow)
		var fe *tomlconf.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: got %v, want an error naming %s", tc.name, err, tc.field)
		}
	}
	for _, ok := range []struct {
		listen string
		s      tlsconf.Server
		allow  bool
	}{
		{"127.0.0.1:1", tlsconf.Server{}, false},
		{"localhost:1", tlsconf.Server{}, false},
		{"[::1]:1", tlsconf.Server{}, false},
		{"0.0.0.0:1", tlsconf.Server{}, true},
		{"0.0.0.0:1", tlsconf.Server{CertFile: "c", KeyFile: "k", ClientCAFile: "ca"}, false},
	} {
		if err := tlsconf.CheckServer(k, ok.listen, ok.s, ok.allow); err != nil {
			t.Errorf("%s %+v: %v", ok.listen, ok.s, err)
		}
	}
}

func TestCheckClientNamesSetting(t *testing.T) {
	k := tlsconf.ClientKeys("sequencer")
	for field, c := range map[string]tlsconf.Client{
		"sequencer_tls_key_file":    {CAFile: "ca", CertFile: "c"},
		"sequencer_tls_cert_file":   {CAFile: "ca", KeyFile: "k"},
		"sequencer_tls_server_name": {ServerName: "n"},
	} {
		var fe *tomlconf.FieldError
		if err := tlsconf.CheckClient(k, c); !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%+v: got %v, want an error naming %s", c, err, field)
		}
	}
	if err := tlsconf.CheckClient(k, tlsconf.Client{CertFile: "c", KeyFile: "k"}); err == nil {
		t.Error("a client certificate without a CA was accepted")
	}
}

// pki is a CA with a server certificate for 127.0.0.1 and a client certificate, and a
// second CA with its own client certificate, all in files.
type pki struct {
	dir                                  string
	ca, serverCert, serverKey, cert, key string
	otherCA, otherCert, otherKey         string
}

func newPKI(t *testing.T) pki {
	t.Helper()
	d := t.TempDir()
	p := pki{dir: d, ca: filepath.Join(d, "ca.crt"), serverCert: filepath.Join(d, "server.crt"), serverKey: filepath.Join(d, "server.key"),
		cert: filepath.Join(d, "client.crt"), key: filepath.Join(d, "client.key"), otherCA: filepath.Join(d, "other-ca.crt"),
		otherCert: filepath.Join(d, "other.crt"), otherKey: filepath.Join(d, "other.key")}
	ca, err := tlsconf.NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	other, err := tlsconf.NewCA("other CA")
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		ca.WriteCert(p.ca), other.WriteCert(p.otherCA),
		ca.IssueFiles("server", []string{"127.0.0.1", "localhost"}, p.serverCert, p.serverKey),
		ca.IssueFiles("client", nil, p.cert, p.key),
		other.IssueFiles("intruder", []string{"127.0.0.1"}, p.otherCert, p.otherKey),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// serve runs a gRPC health server with s on a free loopback port.
func serve(t *testing.T, s tlsconf.Server) string {
	t.Helper()
	opts, err := s.ServerOptions()
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(gs, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	return lis.Addr().String()
}

func check(t *testing.T, addr string, c tlsconf.Client) error {
	t.Helper()
	opt, err := c.DialOption()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(addr, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	return err
}

// TestMutualTLSOnLoopback serves real TLS with a client CA: a client with the CA and its
// certificate is served; one without the CA (plaintext), one trusting another CA, one
// without a certificate, one with another CA's certificate and one expecting another
// server name are refused.
func TestMutualTLSOnLoopback(t *testing.T) {
	p := newPKI(t)
	addr := serve(t, tlsconf.Server{CertFile: p.serverCert, KeyFile: p.serverKey, ClientCAFile: p.ca})
	if err := check(t, addr, tlsconf.Client{CAFile: p.ca, CertFile: p.cert, KeyFile: p.key}); err != nil {
		t.Fatalf("client with the CA and its certificate: %v", err)
	}
	for name, c := range map[string]tlsconf.Client{
		"plaintext":              {},
		"trusting another CA":    {CAFile: p.otherCA, CertFile: p.cert, KeyFile: p.key},
		"without a certificate":  {CAFile: p.ca},
		"with a wrong cert":      {CAFile: p.ca, CertFile: p.otherCert, KeyFile: p.otherKey},
		"expecting another name": {CAFile: p.ca, ServerName: "elsewhere.example", CertFile: p.cert, KeyFile: p.key},
	} {
		err := check(t, addr, c)
		if status.Code(err) != codes.Unavailable {
			t.Errorf("client %s: got %v, want Unavailable", name, err)
		}
	}
	// The reasons, as the client sees them.
	if err := check(t, addr, tlsconf.Client{CAFile: p.otherCA, CertFile: p.cert, KeyFile: p.key}); !strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Errorf("client trusting another CA: %v", err)
	}
	if err := check(t, addr, tlsconf.Client{CAFile: p.ca, ServerName: "elsewhere.example"}); !strings.Contains(err.Error(), "elsewhere.example") {
		t.Errorf("client expecting another name: %v", err)
	}
}

// TestTLSWithoutClientCA: without a client CA any TLS client that trusts the server is
// served, with or without a certificate.
func TestTLSWithoutClientCA(t *testing.T) {
	p := newPKI(t)
	addr := serve(t, tlsconf.Server{CertFile: p.serverCert, KeyFile: p.serverKey})
	if err := check(t, addr, tlsconf.Client{CAFile: p.ca}); err != nil {
		t.Fatal(err)
	}
	if err := check(t, addr, tlsconf.Client{CAFile: p.ca, ServerName: "localhost"}); err != nil {
		t.Fatal(err)
	}
	if err := check(t, addr, tlsconf.Client{}); status.Code(err) != codes.Unavailable {
		t.Fatalf("plaintext client: %v", err)
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.crt")
	if _, err := (tlsconf.Server{CertFile: missing, KeyFile: missing}).ServerConfig(); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("server: %v", err)
	}
	if _, err := (tlsconf.Client{CAFile: missing}).ClientConfig(); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("client: %v", err)
	}
}
