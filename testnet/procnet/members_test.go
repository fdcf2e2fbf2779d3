package procnet

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/tlsconf"
	"github.com/cometsync/cometsync/topology"
)

// cli runs the cometsync binary and returns its output.
func cli(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(binary, args...).CombinedOutput()
	return string(out), err
}

// TestTestnetWithMembers generates a consortium testnet with TLS (testnet init --tls),
// four validators (and four owners of the synchronizer's decentralized namespace), a
// mediator and two participants, runs every node as its own process, and runs an IOU
// between the participants through their Ledger APIs with the cometsync binary: every
// member reaches its sequencers over mutual TLS and every ledger call is TLS. A ledger
// client without the CA, or trusting another CA, is refused, and so is a member whose
// client certificate another CA signed; status then shows every member running and both
// participants at ledger end 2.
func TestTestnetWithMembers(t *testing.T) {
	if testing.Short() {
		t.Skip("real processes")
	}
	dir := t.TempDir()
	m, err := Init(dir, Options{Validators: 4, Mediators: 1, Participants: 2, TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	// One owner per validator, majority threshold, and the synchronizer's namespace is
	// their decentralized namespace.
	var owners []crypto.Fingerprint
	for _, o := range m.Owners {
		owners = append(owners, crypto.Fingerprint(o.Namespace))
	}
	if len(owners) != 4 || m.OwnerThreshold != 3 || !strings.HasSuffix(m.SynchronizerID, "::"+string(topology.DecentralizedNamespace(owners))) {
		t.Fatalf("owners %v threshold %d synchronizer %s", owners, m.OwnerThreshold, m.SynchronizerID)
	}
	t.Cleanup(func() {
		for j := range m.Members {
			_ = StopMember(m, j, 5*time.Second)
		}
		for i := range m.Nodes {
			_ = StopNode(m, i, 5*time.Second)
		}
	})
	for i := range m.Nodes {
		if err := StartNode(m, i, binary); err != nil {
			t.Fatal(err)
		}
	}
	for j := range m.Members {
		if err := StartMember(m, j, binary); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, mem := range m.Members {
			if log, err := os.ReadFile(filepath.Join(mem.Home, "member.log")); err == nil {
				t.Logf("%s/member.log (last 3000 bytes):\n%s", mem.Home, log[max(0, len(log)-3000):])
			}
		}
	})
	bank, trader := m.Members[1], m.Members[2]
	ledger := func(p MemberInfo, user string, args ...string) []string {
		return append([]string{"ledger", "--addr", p.LedgerAPI, "--ca-file", m.TLSCAFile, "--secret-file", filepath.Join(p.Home, "jwt-secret"), "--user", user}, args...)
	}
	// Processes start asynchronously: poll until each Ledger API answers.
	deadline := time.Now().Add(2 * time.Minute)
	for _, p := range []MemberInfo{bank, trader} {
		for {
			if _, err := cli(t, ledger(p, "participant_admin", "end")...); err == nil {
				break
			}
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(filepath.Join(p.Home, "member.log"))
				t.Fatalf("%s never served its Ledger API:\n%s", p.ID, log)
			}
			time.Sleep(200 * time.Millisecond) // another process is coming up
		}
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := cli(t, args...)
		if err != nil {
			t.Fatalf("cometsync %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(out)
	}
	refusedTLS(t, m, dir, bank)
	alice := must(ledger(trader, "participant_admin", "parties", "allocate", "Alice")...)
	bankParty := must(ledger(bank, "participant_admin", "parties", "allocate", "Bank")...)
	must(ledger(bank, "participant_admin", "users", "create", "ops", "--act-as", bankParty)...)
	must(ledger(trader, "participant_admin", "users", "create", "alice", "--act-as", alice)...)
	propose := filepath.Join(dir, "propose.json")
	b, _ := json.Marshal(map[string]any{"actAs": []string{bankParty}, "create": map[string]any{"template": "iou:IouProposal",
		"arguments": map[string]any{"issuer": bankParty, "owner": alice, "amount": "7", "currency": "NOK"}}})
	if err := os.WriteFile(propose, b, 0o600); err != nil {
		t.Fatal(err)
	}
	// The mediator's keys come into force a block after it registers them: until then a
	// submission is refused before anything is sent ("has no encryption key").
	for {
		out, err := cli(t, ledger(bank, "ops", "submit", "--command", propose)...)
		if err == nil {
			break
		}
		if !strings.Contains(out, "has no encryption key") || time.Now().After(deadline) {
			t.Fatalf("submit the proposal: %v\n%s", err, out)
		}
		time.Sleep(200 * time.Millisecond) // the mediator's key registration is being sequenced
	}
	var acs struct {
		Contracts []struct {
			ContractID string `json:"contractId"`
		} `json:"contracts"`
	}
	for {
		out, err := cli(t, ledger(trader, "alice", "acs", "--template", "iou:IouProposal", "--json")...)
		if err == nil && json.Unmarshal([]byte(out), &acs) == nil && len(acs.Contracts) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the trader never saw the proposal: %v\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond) // another process applies the commit
	}
	accept := filepath.Join(dir, "accept.json")
	b, _ = json.Marshal(map[string]any{"actAs": []string{alice}, "exercise": map[string]any{"template": "iou:IouProposal",
		"contractId": acs.Contracts[0].ContractID, "choice": "Accept", "arguments": map[string]any{}}})
	if err := os.WriteFile(accept, b, 0o600); err != nil {
		t.Fatal(err)
	}
	must(ledger(trader, "alice", "submit", "--command", accept)...)
	for {
		st := MemberStatuses(t.Context(), m)
		if st[1].LedgerEnd == 2 && st[2].LedgerEnd == 2 {
			for j, s := range st {
				if !s.Running {
					t.Fatalf("member %s is not running", m.Members[j].ID)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ledger ends never reached 2: %+v", st)
		}
		time.Sleep(100 * time.Millisecond) // another process applies the commit
	}
	out := must("testnet", "status", dir)
	if strings.Count(out, "running") != len(m.Nodes)+len(m.Members) {
		for _, n := range m.Nodes {
			if log, err := os.ReadFile(filepath.Join(n.Home, "node.log")); err == nil {
				t.Logf("%s/node.log (last 2000 bytes):\n%s", n.Home, log[max(0, len(log)-2000):])
			}
		}
		t.Fatalf("status:\n%s", out)
	}
	// Every validator exports its metrics, cometsync's and CometBFT's, on its own port,
	// and status says where.
	seen := map[string]bool{}
	for i, n := range m.Nodes {
		if n.Metrics == "" || seen[n.Metrics] || !strings.Contains(out, n.Metrics) {
			t.Fatalf("node %d metrics address %q (status:\n%s)", i, n.Metrics, out)
		}
		seen[n.Metrics] = true
		resp, err := http.Get("http://" + n.Metrics + "/metrics")
		if err != nil {
			t.Fatalf("node %d metrics: %v", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, family := range []string{"cometsync_sequencer_committed_height", "cometbft_consensus_height"} {
			if !strings.Contains(string(body), family) {
				t.Fatalf("node %d serves no %s:\n%s", i, family, body)
			}
		}
	}
}

// refusedTLS checks, on the running TLS testnet m, that the bank's Ledger API refuses a
// plaintext client and one trusting another CA, and that a sequencer API refuses a
// member presenting a certificate of another CA, while the member's own certificate is
// accepted.
func refusedTLS(t *testing.T, m *Manifest, dir string, bank MemberInfo) {
	t.Helper()
	other, err := tlsconf.NewCA("another CA")
	if err != nil {
		t.Fatal(err)
	}
	otherCA, otherCert, otherKey := filepath.Join(dir, "other-ca.crt"), filepath.Join(dir, "other.crt"), filepath.Join(dir, "other.key")
	if err := errors.Join(other.WriteCert(otherCA), other.IssueFiles("intruder", []string{"127.0.0.1"}, otherCert, otherKey)); err != nil {
		t.Fatal(err)
	}
	base := []string{"ledger", "--addr", bank.LedgerAPI, "--secret-file", filepath.Join(bank.Home, "jwt-secret"), "--user", "participant_admin", "--timeout", "5s"}
	if out, err := cli(t, append(base, "end")...); err == nil {
		t.Fatalf("a plaintext ledger client was served: %s", out)
	}
	if out, err := cli(t, append(base, "--ca-file", otherCA, "end")...); err == nil || !strings.Contains(out, "certificate signed by unknown authority") {
		t.Fatalf("a ledger client trusting another CA: %v\n%s", err, out)
	}
	ks, err := m.Keys(1)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := ks.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	connect := func(tls driver.TLS) error {
		cfg := driver.DefaultConfig()
		cfg.Endpoints, cfg.Member, cfg.SigningKey, cfg.TLS = []string{m.Nodes[0].API}, bank.ID, sig, tls
		dc, err := driver.New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer dc.Close()
		return dc.Connect(t.Context())
	}
	if err := connect(driver.TLS{CAFile: m.TLSCAFile, CertFile: otherCert, KeyFile: otherKey}); !errors.Is(err, driver.ErrNoEndpoint) || !strings.Contains(err.Error(), "Unavailable") {
		t.Fatalf("a member with another CA's certificate: %v", err)
	}
	own := driver.TLS{CAFile: m.TLSCAFile, CertFile: filepath.Join(bank.Home, "tls", "member.crt"), KeyFile: filepath.Join(bank.Home, "tls", "member.key")}
	if err := connect(own); err != nil {
		t.Fatalf("the member's own certificate: %v", err)
	}
}
