package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/testnet"
	"github.com/cometsync/cometsync/topology"
)

// seqSystem is a one-validator cometsync chain driven through the gRPC API: one sender
// and w.Recipients recipients, each with its own driver client and subscription.
type seqSystem struct {
	net        *testnet.Network
	sender     *rawSender
	recipients []*driver.Client
	rcpts      []*pb.Recipient
	cancel     context.CancelFunc

	mu     sync.Mutex
	counts map[uint64]int
	done   chan uint64
	blocks blockClock
}

// startSequencer starts the chain; with traffic, the owners enable traffic control on
// it before the measurement, with a budget no workload exhausts (so that the run
// measures the cost of metering, not refusals).
func startSequencer(ctx context.Context, dir string, recipients int, traffic bool) (*seqSystem, error) {
	specs := []testnet.MemberSpec{{Kind: crypto.KindParticipant, Name: "sender"}}
	for i := 0; i < recipients; i++ {
		specs = append(specs, testnet.MemberSpec{Kind: crypto.KindParticipant, Name: fmt.Sprintf("r%d", i)})
	}
	net, err := testnet.New(testnet.Options{Dir: filepath.Join(dir, "sequencer"), Validators: 1, Members: specs, Slow: true})
	if err != nil {
		return nil, err
	}
	if err := net.StartAll(); err != nil {
		net.Close()
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	s := &seqSystem{net: net, cancel: cancel, counts: make(map[uint64]int), done: make(chan uint64, 1<<16)}
	if s.sender, err = newRawSender(sctx, net.APIAddress(0), net.Member("sender")); err != nil {
		s.close()
		return nil, err
	}
	for i := 0; i < recipients; i++ {
		m := net.Member(fmt.Sprintf("r%d", i))
		c, err := s.connect(sctx, m, s.onEvent)
		if err != nil {
			s.close()
			return nil, err
		}
		s.recipients = append(s.recipients, c)
		s.rcpts = append(s.rcpts, &pb.Recipient{Member: m.ID})
	}
	if traffic {
		if err := s.enableTraffic(sctx); err != nil {
			s.close()
			return nil, fmt.Errorf("enable traffic control: %w", err)
		}
	}
	return s, nil
}

// benchTraffic are the traffic control parameters of the sequencer-traffic system: every
// submission is charged (its size and a cost per recipient), none runs out.
var benchTraffic = &topopb.TrafficControlParameters{
	BaseRateBytesPerSecond: topology.MaxTrafficBytes, BurstBytes: topology.MaxTrafficBytes, RecipientCostBytes: 16,
}

// enableTraffic has the synchronizer owner replace the parameters with benchTraffic
// added, sent by the first recipient, and checks that the sender is metered.
func (s *seqSystem) enableTraffic(ctx context.Context) error {
	c := s.recipients[0]
	ts, err := c.DownloadTopologyState(ctx)
	if err != nil {
		return err
	}
	sync := ts.State.Head().Synchronizer()
	params, ok := ts.State.Head().Parameters()
	if !ok {
		return errors.New("no synchronizer parameters on-chain")
	}
	params.TrafficControl = benchTraffic
	tx, err := topology.NewTransaction(topopb.Operation_OPERATION_REPLACE, ts.State.Serial(topology.SynchronizerParametersKey(sync.String()))+1,
		topology.NewSynchronizerParameters(sync, params))
	if err != nil {
		return err
	}
	key, err := s.net.SynchronizerKey()
	if err != nil {
		return err
	}
	if _, err := c.SendAndWait(ctx, &pb.Batch{Envelopes: []*pb.Envelope{{
		Recipients: []*pb.Recipient{{Group: pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER}}, Content: topology.Sign(tx, false, key).Marshal(),
	}}}, driver.SendOptions{}); err != nil {
		return err
	}
	if st, err := c.TrafficState(ctx); err != nil || !st.Metered {
		return fmt.Errorf("traffic control not in force after the parameters change: %+v %v", st, err)
	}
	return nil
}

func (s *seqSystem) connect(ctx context.Context, m testnet.Member, h driver.Handler) (*driver.Client, error) {
	cfg := driver.DefaultConfig()
	cfg.Endpoints = []string{s.net.APIAddress(0)}
	cfg.Member, cfg.SigningKey = m.ID, m.Key
	c, err := driver.New(cfg, nil)
	if err != nil {
		return nil, err
	}
	if err := c.Connect(ctx); err != nil {
		return nil, err
	}
	if h == nil {
		h = func(context.Context, *pb.SequencedEvent) error { return nil }
	}
	go func() {
		if err := c.Subscribe(ctx, 0, h); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, driver.ErrClosed) {
			fmt.Printf("bench: subscription of %s ended: %v\n", m.ID, err)
		}
	}()
	return c, nil
}

// onEvent counts deliveries per submission; a submission completes when every recipient
// has it on its stream.
func (s *seqSystem) onEvent(_ context.Context, ev *pb.SequencedEvent) error {
	s.blocks.observe(ev.Height, time.UnixMicro(ev.TimestampMicros))
	for _, env := range ev.GetBatch().GetEnvelopes() {
		if len(env.Content) < 8 || topology.IsTopologyEnvelope(env) {
			continue
		}
		seq := binary.BigEndian.Uint64(env.Content)
		s.mu.Lock()
		s.counts[seq]++
		complete := s.counts[seq] == len(s.recipients)
		if complete {
			delete(s.counts, seq)
		}
		s.mu.Unlock()
		if complete {
			s.done <- seq
		}
	}
	return nil
}

// prepare signs the submissions seq from+1 .. from+n ahead of a timed phase, as many
// independent clients on other machines would: the sequencer's throughput should not be
// charged with its load generator's signing on the same two cores.
func (s *seqSystem) prepare(from uint64, n int, payload []byte) {
	s.sender.presign(from, n, func(seq uint64) *pb.Batch {
		content := make([]byte, max(len(payload), 8))
		binary.BigEndian.PutUint64(content, seq)
		return &pb.Batch{Envelopes: []*pb.Envelope{{Recipients: s.rcpts, Content: content}}}
	})
}

func (s *seqSystem) submit(ctx context.Context, seq uint64, _ []byte) error {
	return s.sender.send(ctx, seq)
}

func (s *seqSystem) completions() <-chan uint64   { return s.done }
func (s *seqSystem) blockInterval() time.Duration { return s.blocks.mean() }

func (s *seqSystem) close() {
	s.cancel()
	if s.sender != nil {
		s.sender.close()
	}
	for _, c := range s.recipients {
		c.Close()
	}
	s.net.Close()
}
