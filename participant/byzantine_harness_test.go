package participant_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/engine"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/protocol"
	"github.com/cometsync/cometsync/testnet"
	"github.com/cometsync/cometsync/topology"
)

// byzWorld is the malicious-participant harness: a one-validator chain with a real
// mediator and two honest participants (bankp hosting Bank, traderp hosting Alice), and
// a dishonest participant, mallory, hosting Mallory. Mallory's own node runs (it
// registered its keys and allocated its party, and answers like any participant); the
// attacks go through a second, raw driver client of mallory's, which sends whatever
// batch a scenario builds. The synchronizer's timings are short (decision timeout and
// mediator reaction timeout of 2 s each), so that timeouts come soon.
type byzWorld struct {
	*chainWorld
	malNode  *participant.Node
	mal      *driver.Client
	topo     *topology.State // mallory's view of the topology, for building requests
	mallory  ledger.Party
	malID    string
	decision time.Duration
}

func newByzWorld(t *testing.T, ctx context.Context) *byzWorld {
	t.Helper()
	w := &byzWorld{chainWorld: newChainWorld(t, ctx, testnet.MemberSpec{Kind: crypto.KindParticipant, Name: "mallory"})}
	w.malID = w.net.Member("mallory").ID
	w.malNode = w.startNode("mallory", nil)
	var err error
	if w.mallory, err = w.malNode.AllocateParty(ctx, "Mallory"); err != nil {
		t.Fatal(err)
	}
	if w.mal, err = driver.New(driverConfig(w.net, w.net.Member("mallory")), nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.mal.Close() })
	if err := w.mal.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	ts, err := w.mal.DownloadTopologyState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.topo = ts.State
	go func() { // resolves the raw client's receipts and keeps its topology current
		_ = w.mal.Subscribe(ctx, 0, func(_ context.Context, ev *pb.SequencedEvent) error {
			_, err := w.topo.Follow(ev)
			return err
		})
	}()
	// Short timings, on-chain, as the synchronizer owner sets them.
	w.decision = 2 * time.Second
	params, _ := ts.State.Head().Parameters()
	params.DecisionTimeoutMicros, params.MediatorReactionTimeoutMicros = w.decision.Microseconds(), (2 * time.Second).Microseconds()
	syncKey, err := w.net.SynchronizerKey()
	if err != nil {
		t.Fatal(err)
	}
	ptx, err := topology.NewTransaction(topopb.Operation_OPERATION_REPLACE, 2, topology.NewSynchronizerParameters(ts.State.Head().Synchronizer(), params))
	if err != nil {
		t.Fatal(err)
	}
	w.sendRaw(&pb.Batch{Envelopes: []*pb.Envelope{{
		Recipients: []*pb.Recipient{{Group: pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER}}, Content: topology.Sign(ptx, false, syncKey).Marshal(),
	}}})
	for _, n := range w.honest() {
		if err := n.WaitHosted(ctx, w.mallory); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *byzWorld) honest() []*participant.Node { return []*participant.Node{w.bankNode, w.traderNode} }

// sendRaw sends b as mallory and returns the sequencing time of its receipt (the
// request id, when b is a confirmation request).
func (w *byzWorld) sendRaw(b *pb.Batch) int64 {
	w.t.Helper()
	ev, err := w.mal.SendAndWait(w.ctx, b, driver.SendOptions{})
	if err != nil {
		w.t.Fatalf("mallory's send: %v", err)
	}
	return ev.TimestampMicros
}

// hostingMap is the topology's hosting at its head, as protocol.Recipients wants it.
func (w *byzWorld) hostingMap() protocol.HostingMap {
	out := protocol.HostingMap{}
	for _, p := range []ledger.Party{w.bank, w.alice, w.mallory} {
		ptp, ok := w.topo.Head().PartyToParticipant(string(p))
		if !ok {
			continue
		}
		for _, h := range ptp.Participants {
			out[string(p)] = append(out[string(p)], h.Participant)
		}
	}
	return out
}

// request is a confirmation request a scenario builds and may tamper with before it
// is sealed into a batch.
type request struct {
	prepared *protocol.Prepared
	plan     *protocol.SubmissionPlan
}

// prepare interprets cmd against acs and prepares it with the given metadata
// (submitting participant and actAs parties as a scenario wants them, true or not).
func (w *byzWorld) prepare(cmd ledger.Command, acs ledger.ContractMap, submitting string) request {
	w.t.Helper()
	var ls ledger.Seed
	var ps protocol.Seed
	rand.Read(ls[:])
	rand.Read(ps[:])
	lt := time.Now().UTC().Truncate(time.Microsecond)
	tx, err := ledger.Interpret(w.pkgs, cmd, acs, lt, ls)
	if err != nil {
		w.t.Fatal(err)
	}
	p, err := protocol.Prepare(tx, acs, protocol.Metadata{SubmittingParticipant: submitting, Submitters: ledger.NewPartySet(cmd.ActAs...),
		SynchronizerID: w.mal.SynchronizerID(), LedgerTime: lt}, ps)
	if err != nil {
		w.t.Fatal(err)
	}
	plan, err := protocol.Recipients(p, w.hostingMap())
	if err != nil {
		w.t.Fatal(err)
	}
	return request{prepared: p, plan: plan}
}

// batch seals r as an honest submitter would.
func (w *byzWorld) batch(r request) *pb.Batch {
	w.t.Helper()
	b, err := r.plan.Batch(topology.EncryptionKeysOf{Snapshot: w.topo.Head()}, []string{w.net.Member("mediator").ID})
	if err != nil {
		w.t.Fatal(err)
	}
	return b
}

// proposal is a create of an IOU proposal from issuer to owner.
func (w *byzWorld) proposal(issuer, owner ledger.Party, amount string) ledger.Command {
	return ledger.CreateCommand([]ledger.Party{issuer}, w.tid(), ledger.Record{
		"issuer": ledger.PartyValue(issuer), "owner": ledger.PartyValue(owner),
		"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal(amount)}, "currency": ledger.TextValue("USD"),
	})
}

// outcome waits for n's outcome of request id.
func (w *byzWorld) outcome(n *participant.Node, id int64) engine.Completion {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
	defer cancel()
	c, err := n.WaitCompletion(ctx, id)
	if err != nil {
		w.t.Fatalf("no outcome of request %d: %v", id, err)
	}
	return c
}

// rejectedWith asserts that request id was rejected (not committed, not timed out) at
// every honest participant in nodes, with a reason that contains want.
func (w *byzWorld) rejectedWith(id int64, want string, nodes ...*participant.Node) {
	w.t.Helper()
	for _, n := range nodes {
		c := w.outcome(n, id)
		if c.Committed || c.TimedOut || !strings.Contains(c.Reason, want) {
			w.t.Fatalf("request %d: %+v, want rejected with a reason containing %q", id, c, want)
		}
	}
}

// timedOut asserts that request id timed out at every node in nodes.
func (w *byzWorld) timedOut(id int64, nodes ...*participant.Node) {
	w.t.Helper()
	for _, n := range nodes {
		if c := w.outcome(n, id); c.Committed || !c.TimedOut {
			w.t.Fatalf("request %d: %+v, want a timeout", id, c)
		}
	}
}

// ignored returns how many results n ignored for reason.
func ignored(n *participant.Node, reason string) float64 {
	c, err := n.Metrics().Gather()
	if err != nil {
		return -1
	}
	for _, mf := range c {
		if mf.GetName() != "cometsync_participant_ignored_results_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == reason {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// settle asserts what must hold after every attack: nothing is locked at the honest
// participants, they agree on the contracts they share (Bank and Alice are
// stakeholders of every contract here, so their whole active contract sets are equal),
// the honest flow that follows (Bank proposes, Alice accepts) commits, and the trader's
// participant rebuilt from the chain (attacks included) has the same state.
func (w *byzWorld) settle() {
	w.t.Helper()
	for _, n := range w.honest() {
		ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
		err := w.awaitUnlocked(ctx, n)
		cancel()
		if err != nil {
			w.t.Fatalf("locks not released: %v", err)
		}
	}
	prop := w.propose(fmt.Sprint(10 + len(w.bankNode.ACS())))
	if err := w.accept(prop); err != nil {
		w.t.Fatalf("the honest flow after the attack: %v", err)
	}
	waitACS(w.t, w.ctx, w.bankNode, func(acs ledger.ContractMap) bool { _, ok := acs[prop]; return !ok })
	waitACS(w.t, w.ctx, w.traderNode, func(acs ledger.ContractMap) bool { _, ok := acs[prop]; return !ok })
	if a, b := w.bankNode.ACSHash(), w.traderNode.ACSHash(); !bytes.Equal(a, b) {
		w.t.Fatalf("honest participants disagree: ACS hashes %x and %x", a, b)
	}
	w.rebuildTrader()
}

// rebuildTrader wipes the trader's participant and rebuilds it from the chain (its whole
// stream, attacks included): it must end with the same active contracts and ledger end.
func (w *byzWorld) rebuildTrader() {
	w.t.Helper()
	before, progress := w.traderNode.ACSHash(), w.traderNode.Progress()
	w.traderNode.Stop()
	w.traderNode = w.startNode("traderp", nil)
	ctx, cancel := context.WithTimeout(w.ctx, 60*time.Second)
	defer cancel()
	if err := w.traderNode.WaitProgress(ctx, func(p participant.Progress) bool {
		return p.Live && p.NextCounter >= progress.NextCounter && p.Pending == 0
	}); err != nil {
		w.t.Fatalf("the rebuilt participant never caught up with counter %d: %v", progress.NextCounter, err)
	}
	if after := w.traderNode.ACSHash(); !bytes.Equal(after, before) {
		w.t.Fatalf("rebuilt ACS hash %x, before the wipe %x", after, before)
	}
	if got := w.traderNode.Progress().LedgerEnd; got != progress.LedgerEnd {
		w.t.Fatalf("rebuilt ledger end %d, before the wipe %d", got, progress.LedgerEnd)
	}
}

// awaitUnlocked waits until n has no request awaiting a verdict.
func (w *byzWorld) awaitUnlocked(ctx context.Context, n *participant.Node) error {
	if err := n.WaitNoPending(ctx); err != nil {
		return fmt.Errorf("%d requests still pending: %w", n.PendingRequests(), err)
	}
	return nil
}

// memberOf is the member of the testnet member name.
func (w *byzWorld) memberOf(name string) crypto.Member {
	w.t.Helper()
	m, err := crypto.ParseMember(w.net.Member(name).ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

// hostBank replaces Bank's PartyToParticipant (serial, threshold, hosts), signed by
// signers (the bank's namespace and the new hosts), and waits until the honest
// participants and mallory's node see it.
func (w *byzWorld) hostBank(serial uint64, threshold uint32, signers []crypto.SigningPrivateKey, hosts ...*topopb.HostingParticipant) {
	w.t.Helper()
	uid, err := crypto.ParseUID(string(w.bank))
	if err != nil {
		w.t.Fatal(err)
	}
	tx, err := topology.NewTransaction(topopb.Operation_OPERATION_REPLACE, serial, topology.NewPartyToParticipant(uid, threshold, hosts...))
	if err != nil {
		w.t.Fatal(err)
	}
	w.sendRaw(&pb.Batch{Envelopes: []*pb.Envelope{{
		Recipients: []*pb.Recipient{{Group: pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER}}, Content: topology.Sign(tx, false, signers...).Marshal(),
	}}})
	for _, n := range append(w.honest(), w.malNode) {
		if err := n.WaitTopology(w.ctx, func(s *topology.Snapshot) bool {
			ptp, ok := s.PartyToParticipant(string(w.bank))
			return ok && len(ptp.Participants) == len(hosts)
		}); err != nil {
			w.t.Fatal(err)
		}
	}
}
