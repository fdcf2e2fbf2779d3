package procnet

import (
	"strings"
	"testing"

	"github.com/cometsync/cometsync/app"
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
	}
}
