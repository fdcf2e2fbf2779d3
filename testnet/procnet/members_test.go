package procnet

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/topology"
)

// cli runs the cometsync binary and returns its output.
func cli(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(binary, args...).CombinedOutput()
	return string(out), err
}

// TestTestnetWithMembers generates a consortium testnet with four validators (and four
// owners of the synchronizer's decentralized namespace), a mediator and two participants, runs every node as its own process, and runs an IOU
// between the participants through their Ledger APIs with the cometsync binary; status
// then shows every member running and both participants at ledger end 2.
func TestTestnetWithMembers(t *testing.T) {
	if testing.Short() {
		t.Skip("real processes")
	}
	dir := t.TempDir()
	m, err := Init(dir, Options{Validators: 4, Mediators: 1, Participants: 2})
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
	bank, trader := m.Members[1], m.Members[2]
	ledger := func(p MemberInfo, user string, args ...string) []string {
		return append([]string{"ledger", "--addr", p.LedgerAPI, "--secret-file", filepath.Join(p.Home, "jwt-secret"), "--user", user}, args...)
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
	must(ledger(bank, "ops", "submit", "--command", propose)...)
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
