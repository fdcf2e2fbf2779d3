package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cometsync/cometsync/app"
)

// background runs a long-running command (node/mediator/participant start) until the
// returned stop func is called; stop waits for it to return and fails on its error.
func (c *cli) background(args ...string) (stop func()) {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		root := newRootCmd()
		root.SetArgs(args)
		root.SetOut(&strings.Builder{})
		done <- root.ExecuteContext(ctx)
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			c.t.Errorf("cometsync %s: %v", strings.Join(args, " "), err)
		}
	}
	c.t.Cleanup(stop)
	return stop
}

// eventually runs a command until check accepts its output (an operator polling a
// service that is coming up, or a state another process is producing).
func (c *cli) eventually(check func(string) bool, args ...string) string {
	c.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, time.Second) {
		out, err := c.run(args...)
		if err == nil && check(out) {
			return out
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("cometsync %s never gave the expected output: %v\n%s", strings.Join(args, " "), err, out)
		}
		time.Sleep(backoff) // polling another component from outside, as an operator does
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	a, err := app.FreeAddress()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestOperatorFlowThroughTheCLI does what the operator docs describe, only through
// cometsync commands: a one-validator synchronizer with a mediator from its genesis, two
// participants that onboard themselves, parties and users through the Ledger API, an
// IOU proposed and accepted with `ledger submit`, then one participant wiped and
// recovered from the chain with `participant recover`, serving the same contracts and
// update stream afterwards.
func TestOperatorFlowThroughTheCLI(t *testing.T) {
	dir := t.TempDir()
	c := &cli{t: t, dir: dir, wrapper: filepath.Join(dir, "wrapper.key")}
	wrap := []string{"--wrapper-key-file", c.wrapper}
	api := freeAddr(t)

	medOut := c.must(append([]string{"mediator", "init", "--home", filepath.Join(dir, "med"), "--name", "mediator", "--sequencer", api}, wrap...)...)
	genesisFlag := regexp.MustCompile(`--member (\S+)`).FindStringSubmatch(medOut)
	if genesisFlag == nil {
		t.Fatalf("mediator init printed no genesis flag:\n%s", medOut)
	}
	medID, _, _ := strings.Cut(genesisFlag[1], "=")
	nodeHome := filepath.Join(dir, "node")
	c.must("node", "init", "--home", nodeHome, "--api-laddr", api, "--p2p-laddr", "tcp://"+freeAddr(t), "--rpc-laddr", "tcp://"+freeAddr(t),
		"--metrics-laddr", "", "--member", genesisFlag[1], "--onboarding", "open")
	c.background("node", "start", "--home", nodeHome)
	stopMed := c.background(append([]string{"mediator", "start", "--home", filepath.Join(dir, "med")}, wrap...)...)

	type participantHome struct{ home, ledger string }
	newParticipant := func(name string) participantHome {
		p := participantHome{home: filepath.Join(dir, name), ledger: freeAddr(t)}
		c.must(append([]string{"participant", "init", "--home", p.home, "--name", name, "--sequencer", api, "--mediator", medID, "--ledger-api", p.ledger}, wrap...)...)
		return p
	}
	bankP, traderP := newParticipant("bankp"), newParticipant("traderp")
	stopBank := c.background(append([]string{"participant", "start", "--home", bankP.home}, wrap...)...)
	c.background(append([]string{"participant", "start", "--home", traderP.home}, wrap...)...)
	ledgerAs := func(p participantHome, user string, args ...string) []string {
		return append([]string{"ledger", "--addr", p.ledger, "--secret-file", filepath.Join(p.home, "jwt-secret"), "--user", user}, args...)
	}
	for _, p := range []participantHome{bankP, traderP} {
		c.eventually(func(string) bool { return true }, ledgerAs(p, "participant_admin", "end")...) // up and admitted
	}

	alice := strings.TrimSpace(c.must(ledgerAs(traderP, "participant_admin", "parties", "allocate", "Alice")...))
	bank := strings.TrimSpace(c.must(ledgerAs(bankP, "participant_admin", "parties", "allocate", "Bank")...))
	if !strings.HasPrefix(alice, "Alice::") || !strings.HasPrefix(bank, "Bank::") {
		t.Fatalf("allocated %q and %q", alice, bank)
	}
	c.must(ledgerAs(bankP, "participant_admin", "users", "create", "bank-ops", "--act-as", bank)...)
	c.must(ledgerAs(traderP, "participant_admin", "users", "create", "alice", "--act-as", alice, "--primary-party", alice)...)
	if out := c.must(ledgerAs(traderP, "participant_admin", "users", "update", "alice", "--annotate", "team=ops")...); !strings.Contains(out, "annotation team=ops") {
		t.Fatalf("users update: %s", out)
	}

	cmdFile := filepath.Join(dir, "propose.json")
	writeFileJSON(t, cmdFile, map[string]any{"actAs": []string{bank}, "create": map[string]any{"template": "iou:IouProposal",
		"arguments": map[string]any{"issuer": bank, "owner": alice, "amount": "42.5", "currency": "EUR"}}})
	if _, err := c.run(ledgerAs(bankP, "participant_admin", "submit", "--command", cmdFile)...); err == nil ||
		!strings.Contains(err.Error(), "PermissionDenied PERMISSION_DENIED: ") || !strings.Contains(err.Error(), "party="+bank) {
		t.Fatalf("participant_admin submitted as Bank without an act-as right: %v (want the reason and party)", err)
	}
	if out := c.must(ledgerAs(bankP, "participant_admin", "parties", "update", bank, "--display-name", "The Bank", "--annotate", "desk=fx")...); !strings.Contains(out, "display name: The Bank") {
		t.Fatalf("parties update: %s", out)
	}
	if out := c.must(ledgerAs(bankP, "participant_admin", "parties", "get", bank)...); !strings.Contains(out, "annotation:   desk=fx") {
		t.Fatalf("parties get: %s", out)
	}
	if out := c.must(ledgerAs(bankP, "bank-ops", "version")...); !strings.Contains(out, "ledger api: cometsync.ledger.v1") || !strings.Contains(out, "protocol:   cometsync/1") {
		t.Fatalf("ledger version: %s", out)
	}
	c.must(ledgerAs(bankP, "bank-ops", "submit", "--command", cmdFile)...)
	var acs struct {
		Contracts []struct {
			ContractID string `json:"contractId"`
		} `json:"contracts"`
	}
	c.eventually(func(out string) bool {
		acs.Contracts = nil
		return json.Unmarshal([]byte(out), &acs) == nil && len(acs.Contracts) == 1
	}, ledgerAs(traderP, "alice", "acs", "--template", "iou:IouProposal", "--json")...)
	acceptFile := filepath.Join(dir, "accept.json")
	writeFileJSON(t, acceptFile, map[string]any{"actAs": []string{alice}, "exercise": map[string]any{"template": "iou:IouProposal",
		"contractId": acs.Contracts[0].ContractID, "choice": "Accept", "arguments": map[string]any{}}})
	c.must(ledgerAs(traderP, "alice", "submit", "--command", acceptFile)...)
	acsBefore := c.eventually(func(out string) bool { // the IOU, not the proposal (which has the same amount)
		return strings.Count(out, `"contractId"`) == 1 && strings.Contains(out, "42.5") && strings.Contains(out, `:Iou"`)
	},
		ledgerAs(bankP, "bank-ops", "acs", "--json")...)
	updatesBefore := c.must(ledgerAs(bankP, "bank-ops", "updates", "--json")...)
	if strings.Count(updatesBefore, "\n") != 2 {
		t.Fatalf("bank updates:\n%s", updatesBefore)
	}

	stopBank()
	out := c.must(append([]string{"participant", "recover", "--home", bankP.home, "--wipe"}, wrap...)...)
	if !regexp.MustCompile(`ledger end 2, 1 active contracts, ACS hash [0-9a-f]{64}`).MatchString(out) {
		t.Fatalf("recover printed:\n%s", out)
	}
	c.background(append([]string{"participant", "start", "--home", bankP.home}, wrap...)...)
	if got := c.eventually(func(string) bool { return true }, ledgerAs(bankP, "bank-ops", "acs", "--json")...); got != acsBefore {
		t.Fatalf("active contracts after recovery:\n%s\nbefore:\n%s", got, acsBefore)
	}
	if got := c.must(ledgerAs(bankP, "bank-ops", "updates", "--json")...); got != updatesBefore {
		t.Fatalf("updates after recovery:\n%s\nbefore:\n%s", got, updatesBefore)
	}

	// The ACS commitment comparisons, through the participant's Ledger API (none with
	// the one-minute default interval in a run this short, or matches).
	if out := c.must("participant", "commitments", "--home", bankP.home); !regexp.MustCompile(`^(no ACS commitment compared yet|(PAR::\S+ \(\d+, \d+\] match\n)+)\n?$`).MatchString(out) {
		t.Fatalf("participant commitments printed:\n%s", out)
	}

	// The mediator's database: recovery is refused while the mediator runs; stopped, it
	// is rebuilt from the chain with both verdicts in its audit trail, and the mediator
	// starts over it.
	medRecover := append([]string{"mediator", "recover", "--home", filepath.Join(dir, "med"), "--wipe"}, wrap...)
	if out, err := c.run(medRecover...); err == nil || !strings.Contains(err.Error(), "stop the mediator first") {
		t.Fatalf("mediator recover --wipe on a running mediator: %v\n%s", err, out)
	}
	stopMed()
	out = c.must(medRecover...)
	if m := regexp.MustCompile(`recovered (\d+) events up to height \d+ .*: 0 pending requests, (\d+) audit records, verified heights \d+\.\.\d+\n`).FindStringSubmatch(out); m == nil || m[1] == "0" || m[2] == "0" {
		t.Fatalf("mediator recover printed:\n%s", out)
	}
	c.background(append([]string{"mediator", "start", "--home", filepath.Join(dir, "med")}, wrap...)...)

	// An external key ceremony: the keys are made with keys init, the participant home
	// around them with auto_init off, and its root certificate and keys go on-chain with
	// the topology CLI while participant start waits to be admitted.
	cer := participantHome{home: filepath.Join(dir, "ceremonyp"), ledger: freeAddr(t)}
	ks := filepath.Join(cer.home, "keys")
	c.must(append([]string{"keys", "init", "--dir", ks}, wrap...)...)
	out = c.must(append([]string{"participant", "init", "--home", cer.home, "--name", "ceremonyp", "--sequencer", api, "--mediator", medID,
		"--ledger-api", cer.ledger, "--existing-keys"}, wrap...)...)
	member := regexp.MustCompile(`participant (PAR::\S+)`).FindStringSubmatch(out)
	if member == nil {
		t.Fatalf("participant init printed no member:\n%s", out)
	}
	c.background(append([]string{"participant", "start", "--home", cer.home}, wrap...)...)
	keys := append([]string{"--keystore", ks}, wrap...)
	root, otk := filepath.Join(dir, "cer-root.json"), filepath.Join(dir, "cer-otk.json")
	c.must(append([]string{"topology", "propose", "namespace-delegation", "--root", "--sign", "--out", root}, keys...)...)
	c.must(append([]string{"topology", "propose", "owner-to-key-mapping", "--member", member[1], "--sign", "--out", otk}, keys...)...)
	c.must(append([]string{"topology", "submit", "--in", root, "--in", otk, "--sequencer", api, "--member", member[1], "--member-keystore", ks}, keys...)...)
	c.eventually(func(string) bool { return true }, ledgerAs(cer, "participant_admin", "end")...) // admitted and serving
	if got := strings.TrimSpace(c.must(ledgerAs(cer, "participant_admin", "parties", "allocate", "Carol")...)); !strings.HasPrefix(got, "Carol::") {
		t.Fatalf("allocated %q on the ceremony participant", got)
	}
}

func writeFileJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
