package daemon_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/daemon"
)

// participantFamilies and mediatorFamilies are the metric families a member serves,
// with their types.
var (
	participantFamilies = map[string]string{
		"cometsync_participant_ignored_results_total":       "counter",
		"cometsync_participant_requests_completed_total":    "counter",
		"cometsync_participant_submission_duration_seconds": "histogram",
		"cometsync_participant_events_applied_total":        "counter",
		"cometsync_participant_live":                        "gauge",
		"cometsync_participant_pending_requests":            "gauge",
		"cometsync_participant_outbox_messages":             "gauge",
		"cometsync_participant_applied_height":              "gauge",
		"cometsync_participant_chain_height":                "gauge",
		"cometsync_participant_stream_lag_blocks":           "gauge",
	}
	mediatorFamilies = map[string]string{
		"cometsync_mediator_verdicts_total":          "counter",
		"cometsync_mediator_responses_ignored_total": "counter",
		"cometsync_mediator_events_applied_total":    "counter",
		"cometsync_mediator_live":                    "gauge",
		"cometsync_mediator_requests_pending":        "gauge",
		"cometsync_mediator_outbox_verdicts":         "gauge",
		"cometsync_mediator_applied_height":          "gauge",
		"cometsync_mediator_chain_height":            "gauge",
		"cometsync_mediator_stream_lag_blocks":       "gauge",
	}
)

// TestMemberMetricsLint: on a real chain, two participant daemons and a mediator
// process serve their metrics at metrics_address; after an IOU proposal through the
// Ledger API each scrape passes Prometheus's parser and lint rules for every cometsync_*
// metric, has the expected families, and shows the traffic (the submission's latency
// and outcome, the mediator's approval, live members without lag). The server stops
// with its daemon.
func TestMemberMetricsLint(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	net := startChain(t)
	mp := startMediator(t, ctx, net, "127.0.0.1:0")

	bankHome, traderHome := newHome(t, net, "bankp"), newHome(t, net, "traderp")
	var ds []*daemon.Daemon
	for _, h := range []*home{bankHome, traderHome} {
		h.o.Config.MetricsAddress = "127.0.0.1:0"
		d, err := daemon.Start(ctx, h.o)
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	bankD, traderD := ds[0], ds[1]
	t.Cleanup(func() { traderD.Stop() })
	bankStopped := false
	t.Cleanup(func() {
		if !bankStopped {
			bankD.Stop()
		}
	})
	bankAdmin, traderAdmin := bankHome.client(t, ctx, bankD, "participant_admin"), traderHome.client(t, ctx, traderD, "participant_admin")
	bank, alice := bankAdmin.allocate("Bank"), traderAdmin.allocate("Alice")
	for _, d := range ds {
		for _, p := range []string{bank, alice} {
			if err := d.Node.WaitHosted(ctx, ledger.Party(p)); err != nil {
				t.Fatal(err)
			}
		}
	}
	bankAdmin.createUser("bank-ops", bank)
	propose := fmt.Sprintf(`{"actAs": [%q], "create": {"template": "iou:IouProposal", "arguments": {"issuer": %q, "owner": %q, "amount": "10", "currency": "CHF"}}}`, bank, bank, alice)
	if _, err := bankHome.client(t, ctx, bankD, "bank-ops").submit(propose); err != nil {
		t.Fatalf("propose: %v", err)
	}
	for _, d := range ds {
		if err := d.Node.WaitProgress(ctx, func(p participant.Progress) bool { return p.LedgerEnd >= 1 && p.Pending == 0 }); err != nil {
			t.Fatal(err)
		}
	}

	bankM := scrapeAndLint(t, bankD.MetricsURL, participantFamilies)
	traderM := scrapeAndLint(t, traderD.MetricsURL, participantFamilies)
	medM := scrapeAndLint(t, mp.MetricsURL(), mediatorFamilies)
	for _, want := range []struct {
		scrape, sample string
	}{
		{bankM, `cometsync_participant_submission_duration_seconds_count{outcome="committed"} 1`},
		{bankM, `cometsync_participant_requests_completed_total{outcome="committed"} 1`},
		{traderM, `cometsync_participant_requests_completed_total{outcome="committed"} 1`},
		{bankM, "cometsync_participant_live 1"},
		{traderM, "cometsync_participant_pending_requests 0"},
		{medM, `cometsync_mediator_verdicts_total{reject_code="none",verdict="approve"} 1`},
		{medM, `cometsync_mediator_verdicts_total{reject_code="timeout",verdict="reject"} 0`},
		{medM, "cometsync_mediator_live 1"},
		{medM, "cometsync_mediator_requests_pending 0"},
	} {
		if !strings.Contains(want.scrape, "\n"+want.sample+"\n") {
			t.Errorf("missing sample %s", want.sample)
		}
	}
	for _, s := range []string{bankM, traderM, medM} {
		if !strings.Contains(s, "_events_applied_total ") || strings.Contains(s, "_events_applied_total 0\n") {
			t.Error("no events counted as applied")
		}
	}

	if err := bankD.Stop(); err != nil {
		t.Fatal(err)
	}
	bankStopped = true
	if resp, err := http.Get(bankD.MetricsURL); err == nil {
		resp.Body.Close()
		t.Fatal("the metrics are still served after the daemon stopped")
	}
}

// scrapeAndLint fetches url and checks it with Prometheus's parser and lint rules: a
// problem with a cometsync_* metric fails the test (those of the runtime metrics are
// logged). Every family of want must be there with its type. It returns the scrape.
func scrapeAndLint(t *testing.T, url string, want map[string]string) string {
	t.Helper()
	if url == "" {
		t.Fatal("metrics are not served")
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "cometsync_") {
			t.Errorf("%s: %s: %s", url, p.Metric, p.Text)
		} else {
			t.Logf("%s: %s: %s (not ours)", url, p.Metric, p.Text)
		}
	}
	types := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			types[f[2]] = f[3]
		}
	}
	for name, typ := range want {
		if types[name] != typ {
			t.Errorf("%s: family %s is %q, want %s", url, name, types[name], typ)
		}
	}
	return "\n" + string(body)
}
