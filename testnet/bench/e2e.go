package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/cometsync/cometsync/app"
	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/examples"
	"github.com/cometsync/cometsync/ledger"
	mediatord "github.com/cometsync/cometsync/mediator/daemon"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/testnet"
)

// E2EOptions configure RunE2E.
type E2EOptions struct {
	// Validators is the number of validators of the chain (1 or 4 in the docs).
	Validators int
	// IOUs is the number of IOUs created before the runs, split over the two traders'
	// participants; at most this many transfers are in flight at once.
	IOUs int
	// Rate is the offered transfers/s of the configured run; 0 makes it a closed loop
	// with Concurrency transfers in flight.
	Rate float64
	// Concurrency is the number of transfers in flight in a closed-loop run.
	Concurrency int
	// Duration is the length of each run.
	Duration time.Duration
	// Saturation adds closed-loop runs doubling the concurrency from Concurrency (or
	// from twice that after a closed-loop first run) up to IOUs while committed/s grows
	// by 10 % or more, then a run at half the best committed/s.
	Saturation bool
	// ReplayEvents is the minimum length of the replayed participant's event stream:
	// transfers continue after the runs until the stream is that long.
	ReplayEvents int
	// Fast selects the fast test consensus timeouts instead of the production ones.
	Fast bool
	// ReplayProfile, when set, is a file the CPU profile of the replay is written to.
	ReplayProfile string
	// Across moves every IOU between a party of one trader participant and a party of
	// the other: a transfer is Iou.Offer on the owner's participant and IouOffer.Accept
	// on the new owner's (two confirmation requests). Otherwise an IOU moves between two
	// parties of one participant with one Transfer.
	Across bool
}

// DefaultE2EOptions are the defaults of `cometsync bench e2e`.
func DefaultE2EOptions() E2EOptions {
	return E2EOptions{Validators: 1, IOUs: 256, Concurrency: 32, Duration: 10 * time.Second, Saturation: true, ReplayEvents: 2000}
}

// TestE2EOptions are small sizes on the fast consensus timeouts, for tests.
func TestE2EOptions() E2EOptions {
	return E2EOptions{Validators: 1, IOUs: 4, Concurrency: 2, Duration: time.Second, Saturation: true, ReplayEvents: 100, Fast: true}
}

// Validate returns a *ConfigError naming the first bad field.
func (o E2EOptions) Validate() error {
	bad := func(field, reason string, args ...any) error {
		return &ConfigError{field, fmt.Sprintf(reason, args...)}
	}
	switch {
	case o.Validators < 1:
		return bad("Validators", "%d: at least 1", o.Validators)
	case o.IOUs < 2:
		return bad("IOUs", "%d: at least 2 (one per trader participant)", o.IOUs)
	case o.Concurrency < 1 || o.Concurrency > o.IOUs:
		return bad("Concurrency", "%d: between 1 and IOUs (%d)", o.Concurrency, o.IOUs)
	case o.Rate < 0 || math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0):
		return bad("Rate", "%v: a finite rate >= 0", o.Rate)
	case o.Duration <= 0:
		return bad("Duration", "%v: must be positive", o.Duration)
	case o.ReplayEvents < 0:
		return bad("ReplayEvents", "%d: must be >= 0", o.ReplayEvents)
	}
	return nil
}

// E2ERun is one measured run of transfers.
type E2ERun struct {
	Name        string
	Validators  int
	Offered     float64 // offered transfers/s; 0 for a closed loop
	Concurrency int     // transfers in flight of a closed loop
	Submitted   int
	Committed   int
	Rejected    int
	// Starved counts offered transfers that waited for a free IOU (raise IOUs).
	Starved int
	// Throughput is committed transfers/s: for a paced run, those completed after a
	// warm-up of a fifth of the run and before its end; for a closed loop, all of them
	// over the time from the start to the last completion.
	Throughput float64
	// Latencies holds, per committed transfer, the time from the Submit call until the
	// new IOU was active at every informee participant.
	Latencies     []time.Duration
	P50, P99      time.Duration
	BlockInterval time.Duration
}

// E2EReport is what RunE2E measured.
type E2EReport struct {
	Setup time.Duration
	Runs  []E2ERun
	// LiveEvents and LiveEventRate are the replayed participant's stream growth during
	// the runs (events and events/s).
	LiveEvents    int64
	LiveEventRate float64
	// SaturationCapped is set when committed/s still grew at the last step of the
	// saturation ramp, with every IOU in flight: the saturation rate is a lower bound.
	SaturationCapped bool
	Replay           ReplayResult
}

// RunE2E sets up a chain, a mediator and three participants with the IOU package,
// measures IOU transfers (the configured run, then saturation and half saturation) and
// the replay of the issuer's participant, and prints progress and tables to out.
func RunE2E(ctx context.Context, out io.Writer, o E2EOptions) (*E2EReport, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "cometsync-bench-e2e-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	t0 := time.Now()
	w, err := startE2E(ctx, dir, o)
	if err != nil {
		return nil, err
	}
	defer w.stop()
	rep := &E2EReport{Setup: time.Since(t0)}
	fmt.Fprintf(out, "setup: %d validator(s), a mediator, 3 participants, %d IOUs, in %v\n", o.Validators, o.IOUs, rep.Setup.Round(time.Millisecond))
	if err := w.measureRuns(ctx, out, rep); err != nil {
		return rep, err
	}
	if err := w.fillStream(ctx, rep); err != nil {
		return rep, err
	}
	if rep.Replay, err = w.replay(ctx); err != nil {
		return rep, err
	}
	fmt.Fprintln(out)
	PrintE2ETable(out, rep)
	return rep, nil
}

// measureRuns runs the configured run, then the saturation ramp and half saturation,
// and the live event rate of the replayed participant over them.
func (w *e2eWorld) measureRuns(ctx context.Context, out io.Writer, rep *E2EReport) error {
	c0, err := w.counter(replayNode)
	if err != nil {
		return err
	}
	t0 := time.Now()
	record := func(r E2ERun, err error) error {
		if err == nil {
			fmt.Fprintf(out, "  %-18s %7.1f committed/s  p50 %v  p99 %v  (%d committed, %d rejected)\n",
				r.Name, r.Throughput, r.P50.Round(time.Millisecond), r.P99.Round(time.Millisecond), r.Committed, r.Rejected)
			rep.Runs = append(rep.Runs, r)
		}
		return err
	}
	if w.o.Rate > 0 {
		err = record(w.measure(ctx, "offered rate", w.o.Rate, 0))
	} else {
		err = record(w.measure(ctx, "closed loop", 0, w.o.Concurrency))
	}
	if err == nil && w.o.Saturation {
		err = w.saturate(ctx, rep, record)
	}
	if err != nil {
		return err
	}
	c1, err := w.counter(replayNode)
	rep.LiveEvents, rep.LiveEventRate = c1-c0, float64(c1-c0)/time.Since(t0).Seconds()
	return err
}

// saturate doubles the closed loop's concurrency (from Concurrency, a closed loop run
// already measured counting as the first step) up to IOUs while committed/s grows by
// 10 % or more, then runs at half the best committed/s.
func (w *e2eWorld) saturate(ctx context.Context, rep *E2EReport, record func(E2ERun, error) error) error {
	best, conc := 0.0, w.o.Concurrency
	if last := rep.Runs[len(rep.Runs)-1]; last.Offered == 0 {
		best, conc = last.Throughput, 2*conc
	}
	rep.SaturationCapped = true
	for ; conc <= w.o.IOUs; conc *= 2 {
		if err := record(w.measure(ctx, fmt.Sprintf("saturation (%d)", conc), 0, conc)); err != nil {
			return err
		}
		tput := rep.Runs[len(rep.Runs)-1].Throughput
		gain := tput >= 1.1*best
		best = max(best, tput)
		if !gain {
			rep.SaturationCapped = false
			break
		}
	}
	if best <= 0 {
		return errors.New("bench e2e: no transfer committed at saturation")
	}
	return record(w.measure(ctx, "half saturation", best/2, 0))
}

// fillStream runs closed-loop transfers until the replayed participant's stream holds
// ReplayEvents events, estimating the transfers needed from the events per transfer
// seen so far.
func (w *e2eWorld) fillStream(ctx context.Context, rep *E2EReport) error {
	perTransfer := 3.0
	if n := submitted(rep.Runs); n > 0 && rep.LiveEvents > 0 {
		perTransfer = float64(rep.LiveEvents) / float64(n)
	}
	for {
		c, err := w.counter(replayNode)
		if err != nil || c >= int64(w.o.ReplayEvents) {
			return err
		}
		n := int(math.Ceil(float64(int64(w.o.ReplayEvents)-c) / perTransfer))
		if _, err := w.closedLoop(ctx, w.o.Concurrency, 0, n); err != nil {
			return err
		}
	}
}

func submitted(rs []E2ERun) int {
	n := 0
	for _, r := range rs {
		n += r.Submitted
	}
	return n
}

// PrintE2ETable prints the runs and the replay as tables.
func PrintE2ETable(out io.Writer, rep *E2EReport) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "validators\trun\toffered/s\tin flight\tcommitted\tcommitted/s\tp50\tp99\tp50 (blocks)\trejected\tblock interval\t")
	for _, r := range rep.Runs {
		offered, inFlight := "closed", fmt.Sprint(r.Concurrency)
		if r.Offered > 0 {
			offered, inFlight = fmt.Sprintf("%.1f", r.Offered), "-"
		}
		blocks := "-"
		if r.BlockInterval > 0 {
			blocks = fmt.Sprintf("%.1f", float64(r.P50)/float64(r.BlockInterval))
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%.1f\t%v\t%v\t%s\t%d\t%v\t\n", r.Validators, r.Name, offered, inFlight, r.Committed,
			r.Throughput, r.P50.Round(time.Millisecond), r.P99.Round(time.Millisecond), blocks, r.Rejected, r.BlockInterval.Round(time.Millisecond))
	}
	tw.Flush()
	for _, r := range rep.Runs {
		if r.Starved > 0 {
			fmt.Fprintf(out, "note: in %q %d offered transfers waited for a free IOU (raise --ious)\n", r.Name, r.Starved)
		}
	}
	if rep.SaturationCapped {
		fmt.Fprintln(out, "note: committed/s still grew with every IOU in flight: saturation is a lower bound (raise --ious)")
	}
	fmt.Fprintln(out)
	printReplay(out, rep)
}

// The e2e setup: the issuer's participant hosts Bank, each trader participant hosts two
// parties. Every IOU is issued by Bank and moves back and forth between the two parties
// of one trader participant through the Transfer choice (controllers: owner and new
// owner, so both act and the trader participant submits alone); its informee
// participants are that trader participant and the issuer's, which confirms as the
// signatory's host.
const (
	issuerNode = "issuer-node"
	replayNode = issuerNode // it sees every transfer: the longest stream
)

var traderNodes = []string{"trader-a", "trader-b"}

// e2eWorld is the running setup: chain, mediator, participant nodes, parties and the
// pool of IOUs the transfers move.
type e2eWorld struct {
	o      E2EOptions
	net    *testnet.Network
	pkg    *ledger.Package
	pkgs   *ledger.PackageSet
	med    *mediatord.Node
	nodes  map[string]*participant.Node
	enc    map[string]crypto.EncryptionPrivateKey
	bank   ledger.Party
	owners map[string][2]ledger.Party // trader participant -> its two parties
	pool   chan *iou
	// nodeConfig adjusts the validators' cometsync.toml (the prune bench turns pruning on).
	validatorConfig func(i int, c *app.Config)
}

// iou is one IOU of the pool; a transfer takes it out and puts it back moved.
type iou struct {
	tag   string // its currency: unique, kept by every transfer
	node  string // the trader participant hosting both of its possible owners
	owner int    // index of the current owner in owners[node]
	cid   ledger.ContractID
}

func startE2E(ctx context.Context, dir string, o E2EOptions, nodeConfig ...func(int, *app.Config)) (*e2eWorld, error) {
	w := &e2eWorld{o: o, nodes: map[string]*participant.Node{}, enc: map[string]crypto.EncryptionPrivateKey{},
		owners: map[string][2]ledger.Party{}, pool: make(chan *iou, o.IOUs)}
	if len(nodeConfig) > 0 {
		w.validatorConfig = nodeConfig[0]
	}
	steps := []func(context.Context) error{w.loadPackage, func(context.Context) error { return w.startChain(dir) },
		w.startMediator, w.startParticipants, w.allocateParties, w.createIOUs}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			w.stop()
			return nil, err
		}
	}
	return w, nil
}

func (w *e2eWorld) loadPackage(context.Context) error {
	src, err := examples.FS.ReadFile("iou.yaml")
	if err != nil {
		return err
	}
	if w.pkg, err = ledger.ParsePackage(src); err != nil {
		return err
	}
	w.pkgs, err = ledger.NewPackageSet(w.pkg)
	return err
}

func (w *e2eWorld) startChain(dir string) error {
	specs := []testnet.MemberSpec{{Kind: crypto.KindMediator, Name: "mediator"}, {Kind: crypto.KindParticipant, Name: issuerNode}}
	for _, n := range traderNodes {
		specs = append(specs, testnet.MemberSpec{Kind: crypto.KindParticipant, Name: n})
	}
	net, err := testnet.New(testnet.Options{Dir: dir, Validators: w.o.Validators, Members: specs, Slow: !w.o.Fast, NodeConfig: w.validatorConfig})
	if err != nil {
		return err
	}
	w.net = net
	return net.StartAll()
}

func (w *e2eWorld) driverConfig(name string) driver.Config {
	m := w.net.Member(name)
	cfg := driver.DefaultConfig()
	cfg.Endpoints, cfg.SynchronizerID, cfg.Member, cfg.SigningKey = w.net.APIAddresses(), w.net.SynchronizerID, m.ID, m.Key
	cfg.ResubmitInterval = time.Second
	return cfg
}

func (w *e2eWorld) startMediator(ctx context.Context) error {
	key, err := crypto.GenerateEncryptionKey(crypto.DefaultScheme)
	if err != nil {
		return err
	}
	w.med, err = mediatord.StartNode(ctx, mediatord.NodeConfig{Driver: w.driverConfig("mediator"), EncryptionKey: key})
	return err
}

// nodeConfig is the configuration of participant name; a replay starts a fresh node
// with the same.
func (w *e2eWorld) nodeConfig(name string) participant.Config {
	return participant.Config{Driver: w.driverConfig(name), EncryptionKey: w.enc[name], Packages: w.pkgs,
		Mediators: []string{w.net.Member("mediator").ID}}
}

func (w *e2eWorld) startParticipants(ctx context.Context) error {
	for _, name := range append([]string{issuerNode}, traderNodes...) {
		var err error
		if w.enc[name], err = crypto.GenerateEncryptionKey(crypto.DefaultScheme); err != nil {
			return err
		}
		n, err := participant.Start(ctx, w.nodeConfig(name))
		if err != nil {
			return fmt.Errorf("participant %s: %w", name, err)
		}
		w.nodes[name] = n
		if err := n.Register(ctx); err != nil {
			return fmt.Errorf("participant %s: %w", name, err)
		}
	}
	return nil
}

func (w *e2eWorld) allocateParties(ctx context.Context) error {
	var err error
	if w.bank, err = w.nodes[issuerNode].AllocateParty(ctx, "Bank"); err != nil {
		return err
	}
	all := []ledger.Party{w.bank}
	for i, node := range traderNodes {
		var pair [2]ledger.Party
		for j := range pair {
			if pair[j], err = w.nodes[node].AllocateParty(ctx, fmt.Sprintf("Trader%c%d", 'A'+i, j+1)); err != nil {
				return err
			}
		}
		w.owners[node] = pair
		all = append(all, pair[:]...)
	}
	for _, n := range w.nodes {
		for _, p := range all {
			if err := n.WaitHosted(ctx, p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *e2eWorld) tid(name string) ledger.TemplateID {
	return ledger.TemplateID{Package: w.pkg.ID, Name: name}
}

// createIOUs has Bank propose each IOU and its first owner accept it, a few at a time.
func (w *e2eWorld) createIOUs(ctx context.Context) error {
	return forEach(ctx, w.o.IOUs, 32, func(ctx context.Context, i int) error {
		x, err := w.createIOU(ctx, i)
		if err == nil {
			w.pool <- x
		}
		return err
	})
}

func (w *e2eWorld) createIOU(ctx context.Context, i int) (*iou, error) {
	x := &iou{tag: fmt.Sprintf("T%06d", i), node: traderNodes[i%len(traderNodes)]}
	owner := w.owners[x.node][0]
	if _, err := w.nodes[issuerNode].Submit(ctx, ledger.CreateCommand([]ledger.Party{w.bank}, w.tid("IouProposal"), ledger.Record{
		"issuer": ledger.PartyValue(w.bank), "owner": ledger.PartyValue(owner),
		"amount": ledger.DecimalValue{Decimal: ledger.MustParseDecimal("100")}, "currency": ledger.TextValue(x.tag),
	})); err != nil {
		return nil, fmt.Errorf("propose IOU %s: %w", x.tag, err)
	}
	prop, err := w.findTagged(ctx, x.node, "IouProposal", x.tag)
	if err != nil {
		return nil, err
	}
	if _, err := w.nodes[x.node].Submit(ctx, ledger.ExerciseCommand([]ledger.Party{owner}, w.tid("IouProposal"), prop, "Accept", ledger.Record{})); err != nil {
		return nil, fmt.Errorf("accept IOU %s: %w", x.tag, err)
	}
	if x.cid, err = w.findTagged(ctx, x.node, "Iou", x.tag); err != nil {
		return nil, err
	}
	return x, w.waitActive(ctx, issuerNode, x.cid)
}

// findTagged waits until node holds the contract of template with currency tag and
// returns its id (one such contract is active at a time).
func (w *e2eWorld) findTagged(ctx context.Context, node, template, tag string) (ledger.ContractID, error) {
	var id ledger.ContractID
	err := w.nodes[node].WaitACS(ctx, func(acs ledger.ContractMap) bool {
		for cid, c := range acs {
			if c.Template.Name == template && c.Arguments["currency"] == ledger.TextValue(tag) {
				id = cid
				return true
			}
		}
		return false
	})
	return id, err
}

// waitActive waits until cid is active at node.
func (w *e2eWorld) waitActive(ctx context.Context, node string, cid ledger.ContractID) error {
	return w.nodes[node].WaitACS(ctx, func(acs ledger.ContractMap) bool { _, ok := acs[cid]; return ok })
}

// transfer moves x to the other party of its participant and returns the time from the
// Submit call until the moved IOU is active at both informee participants.
func (w *e2eWorld) transfer(ctx context.Context, x *iou) (time.Duration, error) {
	if w.o.Across {
		return w.transferAcross(ctx, x)
	}
	owners := w.owners[x.node]
	from, to := owners[x.owner], owners[1-x.owner]
	t0 := time.Now()
	if _, err := w.nodes[x.node].Submit(ctx, ledger.ExerciseCommand([]ledger.Party{from, to}, w.tid("Iou"), x.cid, "Transfer",
		ledger.Record{"newOwner": ledger.PartyValue(to)})); err != nil {
		return 0, err
	}
	cid, err := w.findTagged(ctx, x.node, "Iou", x.tag)
	if err != nil {
		return 0, err
	}
	if err := w.waitActive(ctx, issuerNode, cid); err != nil {
		return 0, err
	}
	x.cid, x.owner = cid, 1-x.owner
	return time.Since(t0), nil
}

// transferAcross moves x from its owner (the first party of its participant) to the
// first party of the other trader participant: the owner offers it (Iou.Offer, which
// archives it), the new owner's participant accepts the offer. It returns the time from
// the first Submit call until the moved IOU is active at the new owner's and the
// issuer's participants.
func (w *e2eWorld) transferAcross(ctx context.Context, x *iou) (time.Duration, error) {
	toNode := traderNodes[0]
	if x.node == toNode {
		toNode = traderNodes[1]
	}
	from, to := w.owners[x.node][0], w.owners[toNode][0]
	t0 := time.Now()
	if _, err := w.nodes[x.node].Submit(ctx, ledger.ExerciseCommand([]ledger.Party{from}, w.tid("Iou"), x.cid, "Offer",
		ledger.Record{"newOwner": ledger.PartyValue(to)})); err != nil {
		return 0, err
	}
	offer, err := w.findTagged(ctx, toNode, "IouOffer", x.tag)
	if err != nil {
		return 0, err
	}
	if _, err := w.nodes[toNode].Submit(ctx, ledger.ExerciseCommand([]ledger.Party{to}, w.tid("IouOffer"), offer, "Accept", ledger.Record{})); err != nil {
		return 0, err
	}
	cid, err := w.findTagged(ctx, toNode, "Iou", x.tag)
	if err != nil {
		return 0, err
	}
	if err := w.waitActive(ctx, issuerNode, cid); err != nil {
		return 0, err
	}
	x.cid, x.node = cid, toNode
	return time.Since(t0), nil
}

func (w *e2eWorld) stop() {
	for _, n := range w.nodes {
		n.Stop()
	}
	if w.med != nil {
		w.med.Stop()
	}
	if w.net != nil {
		w.net.Close()
	}
}

// forEach calls fn for 0..n-1 with at most par calls at once; the first error cancels
// the others and is returned.
func forEach(ctx context.Context, n, par int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i := 0; i < n && ctx.Err() == nil; i++ {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := fn(ctx, i); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// runStats collects the transfers of one run.
type runStats struct {
	mu        sync.Mutex
	start     time.Time
	warm, end time.Time // throughput counts completions between these
	latencies []time.Duration
	inWindow  int
	lastDone  time.Time
	submitted int
	rejected  int
	starved   int
}

func newRunStats(d time.Duration) *runStats {
	now := time.Now()
	return &runStats{start: now, warm: now.Add(d / 5), end: now.Add(d)}
}

func (s *runStats) add(f func(*runStats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// run records the outcome of one transfer; other errors than a rejection end the run.
func (w *e2eWorld) run(ctx context.Context, s *runStats, x *iou, fail func(error)) {
	defer func() { w.pool <- x }()
	s.add(func(s *runStats) { s.submitted++ })
	lat, err := w.transfer(ctx, x)
	now := time.Now()
	switch {
	case err == nil:
		s.add(func(s *runStats) {
			s.latencies, s.lastDone = append(s.latencies, lat), now
			if !now.Before(s.warm) && !now.After(s.end) {
				s.inWindow++
			}
		})
	case errors.Is(err, participant.ErrRejected):
		s.add(func(s *runStats) { s.rejected++ })
	default:
		fail(fmt.Errorf("transfer of IOU %s: %w", x.tag, err))
	}
}

// take returns a free IOU, counting the wait when there is none.
func (w *e2eWorld) take(ctx context.Context, s *runStats) (*iou, error) {
	select {
	case x := <-w.pool:
		return x, nil
	default:
	}
	s.add(func(s *runStats) { s.starved++ })
	select {
	case x := <-w.pool:
		return x, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// closedLoop keeps conc transfers in flight for d (d == 0: no limit) or until count
// transfers were started (count == 0: no limit).
func (w *e2eWorld) closedLoop(ctx context.Context, conc int, d time.Duration, count int) (*runStats, error) {
	if d == 0 {
		d = 100 * 365 * 24 * time.Hour
	}
	s := newRunStats(d)
	ctx, fail := context.WithCancelCause(ctx)
	defer fail(nil)
	var started sync.Mutex
	n := 0
	more := func() bool {
		started.Lock()
		defer started.Unlock()
		n++
		return time.Now().Before(s.end) && (count == 0 || n <= count) && ctx.Err() == nil
	}
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for more() {
				x, err := w.take(ctx, s)
				if err != nil {
					return
				}
				w.run(ctx, s, x, fail)
			}
		})
	}
	wg.Wait()
	return s, context.Cause(ctx)
}

// paced offers transfers at rate per second for d, each in its own goroutine, then
// waits for the last ones.
func (w *e2eWorld) paced(ctx context.Context, rate float64, d time.Duration) (*runStats, error) {
	s := newRunStats(d)
	ctx, fail := context.WithCancelCause(ctx)
	defer fail(nil)
	interval := time.Duration(float64(time.Second) / rate)
	var wg sync.WaitGroup
	for at := s.start; at.Before(s.end) && ctx.Err() == nil; at = at.Add(interval) {
		if err := pace(ctx, at); err != nil {
			break
		}
		x, err := w.take(ctx, s)
		if err != nil {
			break
		}
		wg.Go(func() { w.run(ctx, s, x, fail) })
	}
	wg.Wait()
	return s, context.Cause(ctx)
}

// pace waits until at: it shapes the offered load, it synchronizes nothing.
func pace(ctx context.Context, at time.Time) error {
	wait := time.Until(at)
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// measure runs one paced run at rate, or with rate == 0 a closed loop with conc in
// flight, and summarizes it.
func (w *e2eWorld) measure(ctx context.Context, name string, rate float64, conc int) (E2ERun, error) {
	h0, ts0 := w.head()
	var s *runStats
	var err error
	if rate > 0 {
		s, err = w.paced(ctx, rate, w.o.Duration)
	} else {
		s, err = w.closedLoop(ctx, conc, w.o.Duration, 0)
	}
	if err != nil {
		return E2ERun{}, fmt.Errorf("%s: %w", name, err)
	}
	h1, ts1 := w.head()
	r := E2ERun{Name: name, Validators: w.o.Validators, Offered: rate, Submitted: s.submitted, Committed: len(s.latencies),
		Rejected: s.rejected, Starved: s.starved, Latencies: s.latencies, Throughput: float64(s.inWindow) / s.end.Sub(s.warm).Seconds()}
	if rate == 0 && len(s.latencies) > 0 {
		// The closed loop's transfers complete in bursts at block boundaries: a count in a
		// fixed window is off by up to a burst, a count up to the last burst is not.
		r.Concurrency, r.Throughput = conc, float64(len(s.latencies))/s.lastDone.Sub(s.start).Seconds()
	}
	if h1 > h0 {
		r.BlockInterval = time.Duration(ts1-ts0) * time.Microsecond / time.Duration(h1-h0)
	}
	r.P50, r.P99 = percentiles(s.latencies)
	return r, nil
}

// head returns node 0's committed height and block time (µs).
func (w *e2eWorld) head() (int64, int64) {
	m := w.net.Node(0).App().Meta()
	return m.Height, m.LastTimestampMicros
}

func percentiles(l []time.Duration) (p50, p99 time.Duration) {
	if len(l) == 0 {
		return 0, 0
	}
	l = slices.Clone(l)
	slices.Sort(l)
	return l[len(l)*50/100], l[min(len(l)-1, len(l)*99/100)]
}
