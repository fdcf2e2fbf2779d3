package procnet

import (
	"crypto/tls"
	"crypto/x509"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/app"
	"github.com/cometsync/cometsync/internal/tlsconf"
	mediatord "github.com/cometsync/cometsync/mediator/daemon"
	"github.com/cometsync/cometsync/participant/daemon"
)

// TestInitAcrossHosts: with --hosts the generated homes listen on every interface with
// fixed ports, name the other validators by host in persistent_peers, and point the
// members at every validator's API on its host.
func TestInitAcrossHosts(t *testing.T) {
	hosts := []string{"10.0.0.1", "10.0.0.2"}
	m, err := Init(t.TempDir(), Options{Validators: 4, Mediators: 1, Participants: 1, Hosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	wantAPI := []string{"10.0.0.1:26690", "10.0.0.2:26690", "10.0.0.1:26700", "10.0.0.2:26700"}
	for i, n := range m.Nodes {
		if n.Host != hosts[i%2] || n.API != wantAPI[i] {
			t.Fatalf("node %d: host %s api %s, want %s %s", i, n.Host, n.API, hosts[i%2], wantAPI[i])
		}
		cmt, cfg, err := app.LoadConfig(n.Home)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(cmt.P2P.ListenAddress, "tcp://0.0.0.0:") || !strings.HasPrefix(cfg.APIListenAddress, "0.0.0.0:") {
			t.Fatalf("node %d listens on %s and %s", i, cmt.P2P.ListenAddress, cfg.APIListenAddress)
		}
		wantMetrics := []string{"10.0.0.1:26691", "10.0.0.2:26691", "10.0.0.1:26701", "10.0.0.2:26701"}[i]
		if n.Metrics != wantMetrics || cfg.MetricsListenAddress != "0.0.0.0:"+strings.Split(wantMetrics, ":")[1] || !cmt.Instrumentation.Prometheus || cmt.Instrumentation.PrometheusListenAddr != "" {
			t.Fatalf("node %d metrics at %s (listening on %s, CometBFT's prometheus %v at %q), want %s", i, n.Metrics, cfg.MetricsListenAddress,
				cmt.Instrumentation.Prometheus, cmt.Instrumentation.PrometheusListenAddr, wantMetrics)
		}
		peers := strings.Split(cmt.P2P.PersistentPeers, ",")
		if len(peers) != 3 || cmt.P2P.ExternalAddress == "" {
			t.Fatalf("node %d: peers %v external %q", i, peers, cmt.P2P.ExternalAddress)
		}
		for _, p := range peers {
			if !strings.Contains(p, "@10.0.0.") {
				t.Fatalf("node %d: peer %q is not addressed by host", i, p)
			}
		}
	}
	for _, mem := range m.Members {
		if mem.Kind != "PAR" {
			continue
		}
		c, err := daemon.Load(mem.Home)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(c.Sequencers, ",") != strings.Join(wantAPI, ",") || !strings.HasPrefix(c.LedgerAPIAddress, "0.0.0.0:") || !strings.HasPrefix(mem.LedgerAPI, mem.Host+":") {
			t.Fatalf("participant config: sequencers %v ledger api %s (%s)", c.Sequencers, c.LedgerAPIAddress, mem.LedgerAPI)
		}
		// Without --tls the APIs on every interface are plaintext, explicitly allowed.
		if !c.LedgerAPIAllowPlaintext || c.SequencerTLSCAFile != "" || c.LedgerAPITLS("").Enabled() {
			t.Fatalf("participant config without TLS: %+v", c)
		}
	}
	if _, cfg, err := app.LoadConfig(m.Nodes[0].Home); err != nil || !cfg.APIAllowPlaintext || cfg.APITLS("").Enabled() {
		t.Fatalf("node config without TLS: %+v %v", cfg, err)
	}
}

// TestInitAcrossHostsWithTLS: with --tls every validator's and member's certificate is
// for its host (an IP or a name) and loopback, chains to the testnet's CA, and the
// configurations name the files: the APIs serve TLS (the sequencer APIs requiring
// client certificates), the members verify the sequencers and present their own.
func TestInitAcrossHostsWithTLS(t *testing.T) {
	hosts := []string{"10.0.0.1", "host-b.example"}
	dir := t.TempDir()
	m, err := Init(dir, Options{Validators: 2, Mediators: 1, Participants: 1, Hosts: hosts, TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.TLSCAFile != filepath.Join(dir, "tls", "ca.crt") {
		t.Fatalf("manifest CA %q", m.TLSCAFile)
	}
	pool, err := tlsconf.LoadPool(m.TLSCAFile)
	if err != nil {
		t.Fatal(err)
	}
	verify := func(certFile, host string) {
		t.Helper()
		pair, err := tls.LoadX509KeyPair(certFile, strings.TrimSuffix(certFile, ".crt")+".key")
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{host, "127.0.0.1", "localhost"} {
			if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: name, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}); err != nil {
				t.Errorf("%s for %s: %v", certFile, name, err)
			}
		}
	}
	for i, n := range m.Nodes {
		_, cfg, err := app.LoadConfig(n.Home)
		if err != nil {
			t.Fatal(err)
		}
		s := cfg.APITLS(n.Home)
		if cfg.APIAllowPlaintext || s.ClientCAFile == "" || n.Host != hosts[i%2] {
			t.Fatalf("node %d: %+v", i, cfg)
		}
		verify(s.CertFile, n.Host)
	}
	for _, mem := range m.Members {
		switch mem.Kind {
		case "PAR":
			c, err := daemon.Load(mem.Home)
			if err != nil {
				t.Fatal(err)
			}
			if c.LedgerAPIAllowPlaintext || !c.LedgerAPITLS(mem.Home).Enabled() || c.SequencerTLS(mem.Home).CertFile == "" {
				t.Fatalf("participant config: %+v", c)
			}
			verify(c.LedgerAPITLS(mem.Home).CertFile, mem.Host)
		case "MED":
			c, err := mediatord.Load(mem.Home)
			if err != nil {
				t.Fatal(err)
			}
			if tls := c.SequencerTLS(mem.Home); tls.CAFile == "" || tls.CertFile == "" {
				t.Fatalf("mediator config: %+v", c)
			}
			verify(c.SequencerTLS(mem.Home).CertFile, mem.Host)
		}
	}
}
