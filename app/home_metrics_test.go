package app_test

import (
	"testing"

	"github.com/cometsync/cometsync/app"
)

// A home made with CometBFT's metrics on exports them through cometsync's metrics
// endpoint only: CometBFT's own listener (a fixed port that clashes between nodes on
// one host) stays off.
func TestInitHomeLeavesCometBFTsMetricsListenerOff(t *testing.T) {
	home := t.TempDir()
	cfg := app.DefaultConfig()
	if _, err := app.InitHome(app.HomeOptions{Home: home, Moniker: "n", P2PAddress: "tcp://127.0.0.1:0", Config: cfg, CometBFTMetrics: true}); err != nil {
		t.Fatal(err)
	}
	cmt, _, err := app.LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	if !cmt.Instrumentation.Prometheus || cmt.Instrumentation.PrometheusListenAddr != "" || cmt.Instrumentation.IsPrometheusEnabled() {
		t.Fatalf("instrumentation %+v: want CometBFT's metrics on and its own listener off", cmt.Instrumentation)
	}
}
