package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/app"
	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/internal/chaintest"
	"github.com/cometsync/cometsync/testnet"
)

// TestTrafficThroughTheCLI: the synchronizer owner turns traffic control on with
// `synchronizer propose-parameters`, a participant reads its account with `traffic
// status`, the owner grants it extra traffic and then puts it in maintenance with
// `traffic grant`, and `traffic status` shows each step; a grant signed by the member's
// own key lacks the synchronizer's namespace, and in maintenance the member's
// submissions are refused with traffic_exceeded.
func TestTrafficThroughTheCLI(t *testing.T) {
	net := chaintest.Start(t, testnet.Options{Validators: 1})
	dir := t.TempDir()
	c := &cli{t: t, dir: dir, wrapper: filepath.Join(dir, "wrapper.key"), endpoint: net.APIAddress(0)}
	p1 := c.newOperator("p1", crypto.KindParticipant)
	c.register(p1)
	ownerKS := filepath.Join(dir, "owner-keys")
	c.must("keys", "import", "--dir", ownerKS, "--wrapper-key-file", c.wrapper, "--key-file", filepath.Join(net.Homes[0].Home, "config", app.NamespaceKeyFile))
	owner := []string{"--keystore", ownerKS, "--wrapper-key-file", c.wrapper}
	status := func() string { return c.must(args([]string{"traffic", "status"}, c.as(p1), c.keys(p1))...) }
	submit := func(file string) {
		t.Helper()
		if out := c.must(args([]string{"synchronizer", "submit", "--in", file}, c.as(p1), c.keys(p1))...); !strings.Contains(out, "applied: ") {
			t.Fatalf("submit %s:\n%s", file, out)
		}
	}

	if out := status(); !strings.Contains(out, "not metered") {
		t.Fatalf("before traffic control:\n%s", out)
	}
	params := filepath.Join(dir, "params.json")
	c.must(args([]string{"synchronizer", "propose-parameters", "--traffic-control", "--traffic-base-rate", "10", "--traffic-burst", "50000",
		"--traffic-recipient-cost", "3", "--sign", "--out", params}, owner, c.as(p1))...)
	submit(params)
	if out := status(); !strings.Contains(out, "base:       50000 of 50000 bytes, refilled at 10 bytes/s") || !strings.Contains(out, "+ 3 bytes per recipient") {
		t.Fatalf("after traffic control was turned on:\n%s", out)
	}

	grant := filepath.Join(dir, "grant.json")
	if out := c.must(args([]string{"traffic", "grant", "--for", p1.member, "--extra-traffic-limit", "7000", "--sign", "--out", grant}, owner, c.as(p1))...); !strings.Contains(out, "member "+p1.member+" extra traffic limit 7000 bytes") {
		t.Fatalf("grant proposal:\n%s", out)
	}
	submit(grant)
	out := status()
	if !strings.Contains(out, "extra:      7000 of 7000 bytes left (0 consumed)") || strings.Contains(out, "base:       50000 of") {
		t.Fatalf("after the grant (p1 paid for submitting it):\n%s", out)
	}
	// A member's own key store cannot grant it traffic: the proposal lacks the
	// synchronizer's namespace.
	self := filepath.Join(dir, "self.json")
	c.must(args([]string{"traffic", "grant", "--for", p1.member, "--extra-traffic-limit", "1000000", "--sign", "--out", self}, c.keys(p1), c.as(p1))...)
	if _, err := c.run(args([]string{"synchronizer", "submit", "--in", self}, c.as(p1), c.keys(p1))...); err == nil ||
		!strings.Contains(err.Error(), "unauthorized topology transaction: missing namespace") {
		t.Fatalf("self-granted traffic: %v", err)
	}
	c.must(args([]string{"traffic", "grant", "--for", p1.member, "--extra-traffic-limit", "7000", "--base-rate", "0", "--sign", "--out", grant}, owner, c.as(p1))...)
	submit(grant)
	if out := status(); !strings.Contains(out, "MAINTENANCE") {
		t.Fatalf("after --base-rate 0:\n%s", out)
	}
	// In maintenance, p1's own submissions are refused before they reach the chain.
	if _, err := c.run(args([]string{"synchronizer", "submit", "--in", params}, c.as(p1), c.keys(p1))...); err == nil || !strings.Contains(err.Error(), "traffic_exceeded") || !strings.Contains(err.Error(), "maintenance") {
		t.Fatalf("a submission in maintenance: %v", err)
	}
}
