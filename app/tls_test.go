package app_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/app"
	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/chaintest"
	"github.com/cometsync/cometsync/internal/tlsconf"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/testnet"
)

// TestSequencerAPIOverMutualTLS runs a validator whose sequencer API serves TLS and
// requires client certificates from the testnet's CA, on a real chain: a member whose
// driver trusts the CA and presents its certificate connects and sends; a driver
// without the CA (plaintext), one trusting another CA and one presenting a certificate
// of another CA are refused at the TLS handshake, each with its reason.
func TestSequencerAPIOverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	file := func(n string) string { return filepath.Join(dir, n) }
	ca, err := tlsconf.NewCA("testnet CA")
	if err != nil {
		t.Fatal(err)
	}
	other, err := tlsconf.NewCA("another CA")
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		ca.WriteCert(file("ca.crt")), other.WriteCert(file("other-ca.crt")),
		ca.IssueFiles("node0", []string{"127.0.0.1", "localhost"}, file("node.crt"), file("node.key")),
		ca.IssueFiles("alice", nil, file("alice.crt"), file("alice.key")),
		other.IssueFiles("alice", nil, file("intruder.crt"), file("intruder.key")),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	net := chaintest.Start(t, testnet.Options{Validators: 1,
		Members: []testnet.MemberSpec{{Kind: crypto.KindParticipant, Name: "alice"}, {Kind: crypto.KindParticipant, Name: "bob"}},
		NodeConfig: func(_ int, c *app.Config) {
			c.APITLSCertFile, c.APITLSKeyFile, c.APITLSClientCAFile = file("node.crt"), file("node.key"), file("ca.crt")
		}})
	alice, bob := net.Member("alice"), net.Member("bob")
	dialAs := func(m testnet.Member, tls driver.TLS) (*driver.Client, error) {
		cfg := driver.DefaultConfig()
		cfg.Endpoints, cfg.Member, cfg.SigningKey, cfg.TLS = []string{net.APIAddress(0)}, m.ID, m.Key, tls
		dc, err := driver.New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { dc.Close() })
		return dc, dc.Connect(t.Context())
	}
	dial := func(tls driver.TLS) (*driver.Client, error) { return dialAs(alice, tls) }
	good := driver.TLS{CAFile: file("ca.crt"), CertFile: file("alice.crt"), KeyFile: file("alice.key")}
	dc, err := dial(good)
	if err != nil {
		t.Fatalf("member with the CA and its certificate: %v", err)
	}
	if _, err := dc.Send(t.Context(), batchTo(bob.ID, "over tls"), driver.SendOptions{}); err != nil {
		t.Fatalf("send over TLS: %v", err)
	}
	// Bob reads it from his stream over TLS (the server name given explicitly).
	good.ServerName = "localhost"
	bc, err := dialAs(bob, good)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	got := make(chan string, 1)
	go func() {
		_ = bc.Subscribe(ctx, 0, func(_ context.Context, ev *pb.SequencedEvent) error {
			if ev.GetSender() == alice.ID && len(ev.GetBatch().GetEnvelopes()) > 0 {
				got <- string(ev.GetBatch().Envelopes[0].Content)
			}
			return nil
		})
	}()
	select {
	case s := <-got:
		if s != "over tls" {
			t.Fatalf("bob read %q", s)
		}
	case <-t.Context().Done():
		t.Fatal("test ended before bob read the message")
	}
	stop()
	for _, tc := range []struct {
		name, reason string
		tls          driver.TLS
	}{
		{"without the CA (plaintext)", "", driver.TLS{}},
		{"trusting another CA", "certificate signed by unknown authority", driver.TLS{CAFile: file("other-ca.crt"), CertFile: file("alice.crt"), KeyFile: file("alice.key")}},
		{"with another CA's certificate", "", driver.TLS{CAFile: file("ca.crt"), CertFile: file("intruder.crt"), KeyFile: file("intruder.key")}},
		{"without a certificate", "", driver.TLS{CAFile: file("ca.crt")}},
	} {
		_, err := dial(tc.tls)
		if !errors.Is(err, driver.ErrNoEndpoint) || !strings.Contains(err.Error(), "Unavailable") || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("member %s: got %v, want refused (Unavailable) %s", tc.name, err, tc.reason)
		}
	}
	if _, err := driver.New(driver.Config{}, nil); err == nil {
		t.Fatal("an empty driver config was accepted")
	}
	cfg := driver.DefaultConfig()
	cfg.Endpoints, cfg.Member, cfg.SigningKey = []string{net.APIAddress(0)}, alice.ID, alice.Key
	cfg.TLS = driver.TLS{CAFile: file("missing.crt")}
	var ce *driver.ConfigError
	if _, err := driver.New(cfg, nil); !errors.As(err, &ce) || ce.Field != "tls" || !strings.Contains(err.Error(), "missing.crt") {
		t.Fatalf("a missing CA file: %v", err)
	}
}
