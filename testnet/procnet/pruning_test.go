package procnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cometsync/cometsync/app"
	"github.com/cometsync/cometsync/driver"
	mediatord "github.com/cometsync/cometsync/mediator/daemon"
	"github.com/cometsync/cometsync/participant/daemon"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// TestTestnetPruning runs a testnet made with pruning on a short schedule (testnet init
// --pruning-interval 1s --pruning-retention 1s: four validators, a mediator, two
// participants, each its own process) while the participants run IOUs through their
// Ledger APIs. Every validator prunes: its earliest block (CometBFT status) rises above
// 1 and the earliest counter it still serves of the bank's stream rises above 0 and
// then advances again; the participants keep transacting and agree (same ledger end,
// same IOUs). A subscription of the bank's stream from counter 0 through the driver,
// over all four validators, is refused with a *driver.PrunedError naming the earliest
// counter.
func TestTestnetPruning(t *testing.T) {
	if testing.Short() {
		t.Skip("real processes")
	}
	dir := t.TempDir()
	out, err := cli(t, "testnet", "init", dir, "--validators", "4", "--mediators", "1", "--participants", "2", "--pruning-interval", "1s", "--pruning-retention", "1s")
	if err != nil || !strings.Contains(out, "pruning      every 1s, keeping 1s (validators, mediators, participants)") {
		t.Fatalf("testnet init: %v\n%s", err, out)
	}
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkPruningConfigs(t, m, "1s")
	startAll(t, m)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	n := newIOUNet(t, m, dir)
	// Rounds of IOUs until every validator pruned, then until its pruning point moved on.
	first := make([]int64, len(m.Nodes))
	pruned := func(after []int64) bool {
		st := Status(ctx, m)
		for i := range m.Nodes {
			if st[i].EarliestHeight <= 1 {
				return false
			}
			if e := serveEarliest(t, ctx, m, i); e <= after[i] {
				return false
			} else if after[i] == 0 {
				first[i] = e
			}
		}
		return true
	}
	rounds := 0
	for zero := make([]int64, len(m.Nodes)); !pruned(zero); rounds++ {
		n.round(t, rounds)
	}
	t.Logf("every validator pruned after %d IOUs: the bank's earliest counters %v", rounds, first)
	for ; !pruned(first); rounds++ {
		n.round(t, rounds)
	}
	for range 3 { // the participants keep transacting over pruned validators
		n.round(t, rounds)
		rounds++
	}
	for i, s := range Status(ctx, m) {
		t.Logf("node %d: height %d, earliest block %d, application state %d bytes", i, s.Height, s.EarliestHeight, dirBytes(filepath.Join(m.Nodes[i].Home, "data", "app")))
	}
	n.agree(t, ctx, rounds)

	// A member that lags behind the pruning: the bank's stream from counter 0.
	dc := bankDriver(t, m, nil)
	if err := dc.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	err = dc.Subscribe(ctx, 0, func(context.Context, *pb.SequencedEvent) error {
		return errors.New("an event from counter 0 was served after pruning")
	})
	var pe *driver.PrunedError
	if !errors.As(err, &pe) || !errors.Is(err, driver.ErrPruned) || pe.Earliest <= 0 ||
		!strings.Contains(err.Error(), fmt.Sprintf("the earliest available counter is %d", pe.Earliest)) {
		t.Fatalf("subscription from counter 0 after pruning: %v", err)
	}
	t.Logf("subscription from counter 0: %v", err)
}

// TestInitPruningDefaults: testnet init prunes every hour keeping a day unless told
// otherwise, and --pruning-interval 0 writes no schedule anywhere.
func TestInitPruningDefaults(t *testing.T) {
	dir := t.TempDir()
	def, off := filepath.Join(dir, "default"), filepath.Join(dir, "off")
	out, err := cli(t, "testnet", "init", def, "--validators", "1", "--mediators", "1", "--participants", "1")
	if err != nil || !strings.Contains(out, "pruning      every 1h0m0s, keeping 24h0m0s") {
		t.Fatalf("testnet init: %v\n%s", err, out)
	}
	m, err := Load(def)
	if err != nil {
		t.Fatal(err)
	}
	_, c, err := app.LoadConfig(m.Nodes[0].Home)
	if err != nil || c.PruningInterval != time.Hour || c.PruningRetention != 24*time.Hour {
		t.Fatalf("node 0 prunes every %s keeping %s (%v)", c.PruningInterval, c.PruningRetention, err)
	}
	if out, err = cli(t, "testnet", "init", off, "--validators", "1", "--mediators", "1", "--participants", "1", "--pruning-interval", "0"); err != nil || !strings.Contains(out, "pruning      off") {
		t.Fatalf("testnet init --pruning-interval 0: %v\n%s", err, out)
	}
	if m, err = Load(off); err != nil {
		t.Fatal(err)
	}
	checkPruningConfigs(t, m, "")
	if out, err = cli(t, "testnet", "init", filepath.Join(dir, "bad"), "--pruning-interval", "1h", "--pruning-retention", "0"); err == nil || !strings.Contains(out, "PruningRetention: must be positive") {
		t.Fatalf("testnet init without a retention: %v\n%s", err, out)
	}
}

// checkPruningConfigs checks that init wrote the pruning schedule (every: interval and
// retention alike; "": off) into every home and the manifest.
func checkPruningConfigs(t *testing.T, m *Manifest, every string) {
	t.Helper()
	var d time.Duration
	if every != "" {
		d, _ = time.ParseDuration(every)
	}
	for i, n := range m.Nodes {
		_, c, err := app.LoadConfig(n.Home)
		if err != nil {
			t.Fatal(err)
		}
		if c.PruningInterval != d || c.PruningRetention != d {
			t.Fatalf("node %d prunes every %s keeping %s", i, c.PruningInterval, c.PruningRetention)
		}
	}
	for _, mem := range m.Members {
		var retention, interval string
		if mem.Kind == "MED" {
			c, err := mediatord.Load(mem.Home)
			if err != nil {
				t.Fatal(err)
			}
			retention, interval = c.PruneRetention, c.PruneInterval
		} else {
			c, err := daemon.Load(mem.Home)
			if err != nil {
				t.Fatal(err)
			}
			retention, interval = c.PruneRetention, c.PruneInterval
		}
		if retention != every || interval != every {
			t.Fatalf("%s prunes every %q keeping %q", mem.ID, interval, retention)
		}
	}
	if m.PruningInterval != every || m.PruningRetention != every {
		t.Fatalf("manifest: pruning every %q keeping %q", m.PruningInterval, m.PruningRetention)
	}
}

// startAll starts every validator and member of m, stopped when the test ends (with the
// members' logs printed when it failed).
func startAll(t *testing.T, m *Manifest) {
	t.Helper()
	t.Cleanup(func() {
		if t.Failed() {
			for _, h := range append(nodeHomes(m), memberHomes(m)...) {
				for _, name := range []string{"node.log", "member.log"} {
					if log, err := os.ReadFile(filepath.Join(h, name)); err == nil {
						t.Logf("%s/%s (last 3000 bytes):\n%s", h, name, log[max(0, len(log)-3000):])
					}
				}
			}
		}
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
}

func nodeHomes(m *Manifest) []string {
	var out []string
	for _, n := range m.Nodes {
		out = append(out, n.Home)
	}
	return out
}

func memberHomes(m *Manifest) []string {
	var out []string
	for _, mem := range m.Members {
		out = append(out, mem.Home)
	}
	return out
}

// bankDriver is a driver client of the bank participant (member 1) on the given
// validators (nil: all of them), closed when the test ends.
func bankDriver(t *testing.T, m *Manifest, nodes []int) *driver.Client {
	t.Helper()
	ks, err := m.Keys(1)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := ks.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	cfg := driver.DefaultConfig()
	cfg.Member, cfg.SigningKey = m.Members[1].ID, sig
	for i, n := range m.Nodes {
		if nodes == nil || i == nodes[0] {
			cfg.Endpoints = append(cfg.Endpoints, n.API)
		}
	}
	dc, err := driver.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dc.Close() })
	return dc
}

// errServed ends serveEarliest's subscription at its first event.
var errServed = errors.New("served")

// serveEarliest is the earliest counter of the bank's stream that validator i still
// serves: 0 when it serves counter 0, else the PrunedError's.
func serveEarliest(t *testing.T, ctx context.Context, m *Manifest, i int) int64 {
	t.Helper()
	dc := bankDriver(t, m, []int{i})
	defer dc.Close()
	if err := dc.Connect(ctx); err != nil {
		t.Fatalf("node %d: connect as the bank: %v", i, err)
	}
	err := dc.Subscribe(ctx, 0, func(_ context.Context, ev *pb.SequencedEvent) error {
		if ev.Counter != 0 {
			return fmt.Errorf("the first event served from counter 0 is counter %d", ev.Counter)
		}
		return errServed
	})
	var pe *driver.PrunedError
	switch {
	case errors.Is(err, errServed):
		return 0
	case errors.As(err, &pe):
		return pe.Earliest
	}
	t.Fatalf("node %d: subscription of the bank's stream from counter 0: %v", i, err)
	return 0
}

// iouNet runs IOUs between the bank (participant0) and Alice (on participant1) with the
// cometsync binary through their Ledger APIs.
type iouNet struct {
	m                       *Manifest
	dir                     string
	bank, trader            MemberInfo
	bankParty, alice        string
	deadline                time.Time
	proposeFile, acceptFile string
}

func (n *iouNet) ledger(p MemberInfo, user string, args ...string) []string {
	return append([]string{"ledger", "--addr", p.LedgerAPI, "--secret-file", filepath.Join(p.Home, "jwt-secret"), "--user", user}, args...)
}

func (n *iouNet) must(t *testing.T, args ...string) string {
	t.Helper()
	out, err := cli(t, args...)
	if err != nil {
		t.Fatalf("cometsync %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

// newIOUNet waits for both Ledger APIs and allocates the parties and their users.
func newIOUNet(t *testing.T, m *Manifest, dir string) *iouNet {
	t.Helper()
	n := &iouNet{m: m, dir: dir, bank: m.Members[1], trader: m.Members[2], deadline: time.Now().Add(2 * time.Minute)}
	for _, p := range []MemberInfo{n.bank, n.trader} {
		for {
			if _, err := cli(t, n.ledger(p, "participant_admin", "end")...); err == nil {
				break
			}
			if time.Now().After(n.deadline) {
				t.Fatalf("%s never served its Ledger API", p.ID)
			}
			time.Sleep(200 * time.Millisecond) // another process is coming up
		}
	}
	n.alice = n.must(t, n.ledger(n.trader, "participant_admin", "parties", "allocate", "Alice")...)
	n.bankParty = n.must(t, n.ledger(n.bank, "participant_admin", "parties", "allocate", "Bank")...)
	n.must(t, n.ledger(n.bank, "participant_admin", "users", "create", "ops", "--act-as", n.bankParty)...)
	n.must(t, n.ledger(n.trader, "participant_admin", "users", "create", "alice", "--act-as", n.alice)...)
	n.proposeFile, n.acceptFile = filepath.Join(dir, "propose.json"), filepath.Join(dir, "accept.json")
	return n
}

// contracts are the active contracts of template that user sees on p.
func (n *iouNet) contracts(t *testing.T, p MemberInfo, user, template string) ([]string, error) {
	t.Helper()
	out, err := cli(t, n.ledger(p, user, "acs", "--template", template, "--json")...)
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, out)
	}
	var acs struct {
		Contracts []struct {
			ContractID string `json:"contractId"`
		} `json:"contracts"`
	}
	if err := json.Unmarshal([]byte(out), &acs); err != nil {
		return nil, fmt.Errorf("%v: %s", err, out)
	}
	var ids []string
	for _, c := range acs.Contracts {
		ids = append(ids, c.ContractID)
	}
	return ids, nil
}

func (n *iouNet) writeCommand(t *testing.T, file string, cmd map[string]any) {
	t.Helper()
	b, _ := json.Marshal(cmd)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// round has the bank propose an IOU of amount i+1 to Alice and Alice accept it.
func (n *iouNet) round(t *testing.T, i int) {
	t.Helper()
	n.writeCommand(t, n.proposeFile, map[string]any{"actAs": []string{n.bankParty}, "create": map[string]any{"template": "iou:IouProposal",
		"arguments": map[string]any{"issuer": n.bankParty, "owner": n.alice, "amount": fmt.Sprint(i + 1), "currency": "NOK"}}})
	// The mediator's keys come into force a block after it registers them: until then a
	// submission is refused before anything is sent ("has no encryption key").
	for {
		out, err := cli(t, n.ledger(n.bank, "ops", "submit", "--command", n.proposeFile)...)
		if err == nil {
			break
		}
		if !strings.Contains(out, "has no encryption key") || time.Now().After(n.deadline) {
			t.Fatalf("round %d: submit the proposal: %v\n%s", i, err, out)
		}
		time.Sleep(200 * time.Millisecond) // the mediator's key registration is being sequenced
	}
	var ids []string
	for {
		var err error
		if ids, err = n.contracts(t, n.trader, "alice", "iou:IouProposal"); err == nil && len(ids) == 1 {
			break
		}
		if time.Now().After(n.deadline.Add(time.Minute)) {
			t.Fatalf("round %d: the trader never saw the proposal (%v, %d proposals)", i, err, len(ids))
		}
		time.Sleep(100 * time.Millisecond) // another process applies the commit
	}
	n.writeCommand(t, n.acceptFile, map[string]any{"actAs": []string{n.alice}, "exercise": map[string]any{"template": "iou:IouProposal",
		"contractId": ids[0], "choice": "Accept", "arguments": map[string]any{}}})
	n.must(t, n.ledger(n.trader, "alice", "submit", "--command", n.acceptFile)...)
}

// agree waits until both participants are at ledger end 2 × rounds and checks that
// they see the same IOUs, one per round.
func (n *iouNet) agree(t *testing.T, ctx context.Context, rounds int) {
	t.Helper()
	for {
		st := MemberStatuses(ctx, n.m)
		if st[1].LedgerEnd == int64(2*rounds) && st[2].LedgerEnd == int64(2*rounds) {
			break
		}
		if time.Now().After(n.deadline.Add(time.Minute)) {
			t.Fatalf("ledger ends never reached %d: %+v", 2*rounds, st)
		}
		time.Sleep(100 * time.Millisecond) // another process applies the commit
	}
	bankIOUs, err := n.contracts(t, n.bank, "ops", "iou:Iou")
	if err != nil {
		t.Fatal(err)
	}
	aliceIOUs, err := n.contracts(t, n.trader, "alice", "iou:Iou")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(bankIOUs)
	slices.Sort(aliceIOUs)
	if len(bankIOUs) != rounds || strings.Join(bankIOUs, ",") != strings.Join(aliceIOUs, ",") {
		t.Fatalf("%d rounds: the bank sees IOUs %v, Alice %v", rounds, bankIOUs, aliceIOUs)
	}
}

// dirBytes is the disk space the files under dir take (allocated blocks: badger's value
// log is a sparse file much larger than its data). A figure for the log, not an assertion.
func dirBytes(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			if st, ok := info.Sys().(*syscall.Stat_t); ok {
				n += st.Blocks * 512
			}
		}
		return nil
	})
	return n
}
