package daemon_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/daemon"
	"github.com/cometsync/cometsync/participant/ledgerapi"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// TestPruneScheduleSetting: prune_retention and prune_interval read back from
// participant.toml (the interval defaults to an hour, no retention is no schedule), and
// a bad value is a ConfigError naming its key.
func TestPruneScheduleSetting(t *testing.T) {
	sig, _ := crypto.GenerateSigningKey(nil)
	m, _ := crypto.NewMember(crypto.KindParticipant, "p", sig.Fingerprint())
	for _, tc := range []struct {
		retention, interval string
		want                [2]time.Duration
		badField            string
	}{
		{"", "", [2]time.Duration{0, time.Hour}, ""},
		{"720h", "", [2]time.Duration{720 * time.Hour, time.Hour}, ""},
		{"24h", "10m", [2]time.Duration{24 * time.Hour, 10 * time.Minute}, ""},
		{"-1h", "", [2]time.Duration{}, "prune_retention"},
		{"a week", "", [2]time.Duration{}, "prune_retention"},
		{"24h", "0s", [2]time.Duration{}, "prune_interval"},
	} {
		c := daemon.DefaultConfig()
		c.Member, c.Sequencers, c.PruneRetention, c.PruneInterval = m.String(), []string{"127.0.0.1:1"}, tc.retention, tc.interval
		if tc.badField != "" {
			var ce *daemon.ConfigError
			if err := c.Validate(); !errors.As(err, &ce) || ce.Field != tc.badField {
				t.Errorf("retention %q interval %q: %v, want a ConfigError on %s", tc.retention, tc.interval, err, tc.badField)
			}
			continue
		}
		home := t.TempDir()
		if err := daemon.WriteHome(home, c); err != nil {
			t.Fatal(err)
		}
		loaded, err := daemon.Load(home)
		if err != nil {
			t.Fatal(err)
		}
		retention, interval, err := loaded.PruneSchedule()
		if err != nil || [2]time.Duration{retention, interval} != tc.want {
			t.Errorf("retention %q interval %q read back as %v, %v (%v), want %v", tc.retention, tc.interval, retention, interval, err, tc.want)
		}
		if b, _ := os.ReadFile(filepath.Join(home, daemon.ConfigFile)); !bytes.Contains(b, []byte(fmt.Sprintf("prune_retention = %q", tc.retention))) {
			t.Errorf("participant.toml does not name the retention:\n%s", b)
		}
	}
}

// syncBuffer is a log sink the daemon's goroutines write to while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAutomaticPruningOnSequencerTime: a participant daemon with prune_retention = 2s
// and prune_interval = 1s on a real chain (a reconciliation tick every second) prunes
// its ledger by itself while its parties transact: the Ledger API reports a pruned
// offset that advances past the first proposals, reading before it is
// PARTICIPANT_PRUNED_DATA_ACCESSED, every IOU accepted stays active, and the schedule
// never logs an error (a point not yet safe is an info line, tried again).
func TestAutomaticPruningOnSequencerTime(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	net := startChain(t)
	setReconciliationInterval(t, ctx, net, time.Second)
	startMediator(t, ctx, net, "")
	h := newHome(t, net, "bankp")
	var logs syncBuffer
	h.o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.o.Config.PruneRetention, h.o.Config.PruneInterval = "2s", "1s"
	d, err := daemon.Start(ctx, h.o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Stop()
		if t.Failed() {
			t.Logf("participant log:\n%s", logs.String())
		}
	})
	admin := h.client(t, ctx, d, "participant_admin")
	bank := admin.allocate("Bank")
	admin.createUser("bank-ops", bank)
	ops := h.client(t, ctx, d, "bank-ops")
	state := pb.NewStateServiceClient(ops.conn)
	// Each round proposes an IOU to the bank itself and accepts it (the proposal is
	// archived): there is always something older than the retention to prune.
	var end *pb.GetLedgerEndResponse
	accepted := 0
	for ; ; accepted++ {
		if _, err := ops.submit(fmt.Sprintf(`{"actAs": [%q], "create": {"template": "iou:IouProposal", "arguments": {"issuer": %q, "owner": %q, "amount": "%d", "currency": "CHF"}}}`, bank, bank, bank, accepted+1)); err != nil {
			t.Fatal(err)
		}
		props := ops.acs("iou:IouProposal")
		if len(props) != 1 {
			t.Fatalf("%d proposals active, want 1", len(props))
		}
		if _, err := ops.submit(fmt.Sprintf(`{"actAs": [%q], "exercise": {"template": "iou:IouProposal", "contractId": %q, "choice": "Accept", "arguments": {}}}`, bank, props[0].ContractId)); err != nil {
			t.Fatalf("accept after %d rounds: %v", accepted, err)
		}
		if end, err = state.GetLedgerEnd(ops.ctx, &pb.GetLedgerEndRequest{}); err != nil {
			t.Fatal(err)
		}
		if end.PrunedOffset > 3 {
			accepted++
			break
		}
		if accepted == 200 {
			t.Fatalf("never pruned past offset 3 (ledger end %d, pruned offset %d)", end.Offset, end.PrunedOffset)
		}
	}
	t.Logf("after %d rounds: ledger end %d, pruned offset %d", accepted, end.Offset, end.PrunedOffset)
	if end.PrunedOffset > end.Offset+1 {
		t.Fatalf("pruned offset %d beyond the ledger end %d", end.PrunedOffset, end.Offset)
	}
	_, err = pb.NewUpdateServiceClient(ops.conn).GetUpdateByOffset(ops.ctx, &pb.GetUpdateByOffsetRequest{Offset: 1})
	if status.Code(err) != codes.FailedPrecondition || ledgerapi.ReasonOf(err) != ledgerapi.ReasonPrunedDataAccessed {
		t.Fatalf("update at offset 1 after the automatic pruning: %v", err)
	}
	if got := ops.acs("iou:Iou"); len(got) != accepted {
		t.Fatalf("%d IOUs active after pruning, want the %d accepted", len(got), accepted)
	}
	out := logs.String()
	if !regexp.MustCompile(`msg="ledger pruned" before_time=\S+ before_offset=\d+ tick=\d+`).MatchString(out) {
		t.Fatalf("no pruning logged:\n%s", out)
	}
	refused := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "level=ERROR") && strings.Contains(line, "prun") {
			t.Fatalf("the schedule logged an error: %s", line)
		}
		if strings.Contains(line, "not a safe point yet") {
			if !strings.Contains(line, "level=INFO") {
				t.Fatalf("a refusal not logged at info: %s", line)
			}
			refused++
		}
	}
	t.Logf("%d prunes, %d attempts refused (not a safe point yet)", strings.Count(out, `msg="ledger pruned"`), refused)
}

// TestAutomaticPruningWaitsForCounterParticipant: the bank's participant prunes on a
// one-second schedule, but shares an IOU with Alice's participant, which is stopped: no
// commitment of hers matches the bank's later ticks, so every attempt is refused at info
// level naming her participant and tried again the next interval, the pruned offset stays
// where it was and nothing is logged as an error. Once her participant runs again and its
// commitments arrive, the bank prunes past it.
func TestAutomaticPruningWaitsForCounterParticipant(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	net := startChain(t)
	setReconciliationInterval(t, ctx, net, time.Second)
	startMediator(t, ctx, net, "")
	bankHome, traderHome := newHome(t, net, "bankp"), newHome(t, net, "traderp")
	var logs syncBuffer
	bankHome.o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	bankHome.o.Config.PruneRetention, bankHome.o.Config.PruneInterval = "1s", "1s"
	bankD, err := daemon.Start(ctx, bankHome.o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		bankD.Stop()
		if t.Failed() {
			t.Logf("bank participant log:\n%s", logs.String())
		}
	})
	traderD, err := daemon.Start(ctx, traderHome.o)
	if err != nil {
		t.Fatal(err)
	}
	traderRunning := true
	t.Cleanup(func() {
		if traderRunning {
			traderD.Stop()
		}
	})
	bankAdmin, traderAdmin := bankHome.client(t, ctx, bankD, "participant_admin"), traderHome.client(t, ctx, traderD, "participant_admin")
	bank, alice := bankAdmin.allocate("Bank"), traderAdmin.allocate("Alice")
	for _, d := range []*daemon.Daemon{bankD, traderD} {
		for _, p := range []string{bank, alice} {
			if err := d.Node.WaitHosted(ctx, ledger.Party(p)); err != nil {
				t.Fatal(err)
			}
		}
	}
	bankAdmin.createUser("bank-ops", bank)
	traderAdmin.createUser("alice", alice)
	ops, aliceC := bankHome.client(t, ctx, bankD, "bank-ops"), traderHome.client(t, ctx, traderD, "alice")
	if _, err := ops.submit(fmt.Sprintf(`{"actAs": [%q], "create": {"template": "iou:IouProposal", "arguments": {"issuer": %q, "owner": %q, "amount": "5", "currency": "CHF"}}}`, bank, bank, alice)); err != nil {
		t.Fatal(err)
	}
	if err := traderD.Node.WaitProgress(ctx, func(p participant.Progress) bool { return p.LedgerEnd >= 1 }); err != nil {
		t.Fatal(err)
	}
	props := aliceC.acs("iou:IouProposal")
	if len(props) != 1 {
		t.Fatalf("alice sees %d proposals", len(props))
	}
	if _, err := aliceC.submit(fmt.Sprintf(`{"actAs": [%q], "exercise": {"template": "iou:IouProposal", "contractId": %q, "choice": "Accept", "arguments": {}}}`, alice, props[0].ContractId)); err != nil {
		t.Fatal(err)
	}
	if err := bankD.Node.WaitProgress(ctx, func(p participant.Progress) bool { return p.LedgerEnd >= 2 }); err != nil {
		t.Fatal(err)
	}
	if err := traderD.Stop(); err != nil {
		t.Fatal(err)
	}
	traderRunning = false
	trader := traderHome.o.Config.Member

	// The bank goes on alone (IOU proposals to itself): its schedule runs, and refuses.
	state := pb.NewStateServiceClient(ops.conn)
	selfIOU := func(i int) {
		t.Helper()
		if _, err := ops.submit(fmt.Sprintf(`{"actAs": [%q], "create": {"template": "iou:IouProposal", "arguments": {"issuer": %q, "owner": %q, "amount": "%d", "currency": "CHF"}}}`, bank, bank, bank, i)); err != nil {
			t.Fatal(err)
		}
	}
	waiting := regexp.MustCompile(`level=INFO msg="automatic pruning: not a safe point yet, trying again next interval" .*reason=".*no matching ACS commitment from ` + regexp.QuoteMeta(trader))
	refusals := func() int { return len(waiting.FindAllString(logs.String(), -1)) }
	prunedOffset := func() int64 {
		t.Helper()
		end, err := state.GetLedgerEnd(ops.ctx, &pb.GetLedgerEndRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return end.PrunedOffset
	}
	// Until two attempts were refused for want of her commitments (what was matched
	// before she stopped may still be pruned meanwhile), then two more: the pruned offset
	// stays where it was.
	i := 1
	for ; refusals() < 2; i++ {
		selfIOU(i)
		if i == 200 {
			t.Fatalf("no two refusals naming %s after %d proposals", trader, i)
		}
	}
	held := prunedOffset()
	for ; refusals() < 4; i++ {
		selfIOU(i)
		if i == 400 {
			t.Fatalf("no four refusals naming %s after %d proposals", trader, i)
		}
	}
	if got := prunedOffset(); got != held {
		t.Fatalf("pruned before offset %d (was %d) while %s's commitments are missing", got, held, trader)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("an error was logged:\n%s", logs.String())
	}

	// Alice's participant comes back: its commitments for the ticks arrive and the next
	// attempt prunes.
	if traderD, err = daemon.Start(ctx, traderHome.o); err != nil {
		t.Fatal(err)
	}
	traderRunning = true
	for start := i; prunedOffset() == held; i++ {
		selfIOU(i)
		if i == start+200 {
			t.Fatalf("never pruned past offset %d after %s came back", held, trader)
		}
	}
	t.Logf("held at offset %d through %d refusals naming %s, then pruned before offset %d", held, refusals(), trader, prunedOffset())
}
